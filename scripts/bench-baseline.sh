#!/usr/bin/env bash
# The book page through the VIP of two whole stacks side by side: one built from the tree of
# a given git ref (its jars and images, by its own scripts/up.sh), and one of this tree (by
# this tree's scripts/up.sh). Each is a full Compose stack on addresses of its own, both
# warmed, then measured in interleaved rounds; medians compared.
# Usage: scripts/bench-baseline.sh REF (bench.sh --baseline REF calls it). It appends its rows
# to $BENCH_OUT/results.md (default target/bench) and takes BENCH_DURATION, BENCH_WARMUP,
# BENCH_CONNECTIONS and BENCH_CHAIN_ROUNDS as bench.sh does. Both stacks are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench-baseline] %s\n' "$*"; }
die() { printf '[bench-baseline] error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 REF (a commit, tag or branch of this repository)"
base_commit=$(git rev-parse --verify --quiet "$1^{commit}") || die "$1 is not a commit of this repository"
head_commit=$(git rev-parse HEAD)
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-20s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_CHAIN_ROUNDS:-3}
OUT=${BENCH_OUT:-target/bench}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
else
	compose=(docker-compose)
fi

# name tree net-prefix port-offset: each stack's project, addresses and published ports.
base_tree=$(mktemp -d)
stacks=("base $base_tree 10.217 10000" "head $PWD 10.216 20000")
stack_env() {
	local prefix=$2 offset=$3
	echo COMPOSE_PROJECT_NAME="tierstack-bench-$1" TIERSTACK_IMAGE_TAG="bench-$1" TIERSTACK_NET_PREFIX="$prefix" \
		TIERSTACK_HTTP_PORT=$((offset + 8088)) TIERSTACK_HTTPS_PORT=$((offset + 8443)) \
		TIERSTACK_PROMETHEUS_PORT=$((offset + 9090)) TIERSTACK_ZIPKIN_PORT=$((offset + 9411)) \
		TIERSTACK_RATE_LIMIT_PER_SEC=1000000000
}
cleanup() {
	for stack in "${stacks[@]}"; do
		read -r name tree prefix offset <<<"$stack"
		if [ -f "$tree/docker-compose.yml" ]; then
			(cd "$tree" && env $(stack_env "$name" "$prefix" "$offset") "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1) || true
		fi
	done
	rm -rf "$base_tree"
}
trap cleanup EXIT

git archive "$base_commit" | tar -x -C "$base_tree"
for stack in "${stacks[@]}"; do
	read -r name tree prefix offset <<<"$stack"
	log "$name ($([ "$name" = base ] && echo "${base_commit:0:7}" || echo "${head_commit:0:7}, this tree")): building and starting the stack"
	# Jars and images first: Compose would otherwise look for an image that only a later
	# service builds (the one-shot migration runs the app image) in a registry.
	(cd "$tree" && export $(stack_env "$name" "$prefix" "$offset") &&
		./mvnw -q -B -DskipTests package && "${compose[@]}" build -q && bash scripts/up.sh) >"$OUT/up-$name.log" 2>&1 ||
		die "the $name stack did not come up: $OUT/up-$name.log"
done

# The VIP of each; the baseline may predate HTTPS.
vip_url() {
	if curl -skf -o /dev/null --max-time 5 "https://$1.1.10/api/books?size=1"; then
		echo "https://$1.1.10"
	else
		echo "http://$1.1.10"
	fi
}
base_url=$(vip_url 10.217)
head_url=$(vip_url 10.216)
isbn=$(curl -skf "$base_url/api/books?size=1" | grep -o '"isbn":"[0-9]*"' | head -n 1 | grep -o '[0-9]\{13\}')
[ -n "$isbn" ] || die "the baseline's catalog answered no book"
path=/books/$isbn
for url in "$base_url$path" "$head_url$path"; do
	[ "$(curl -sk -o /dev/null -w '%{http_code}' "$url")" = 200 ] || die "$url does not answer 200"
	wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
done
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$1"; }
for round in $(seq 1 "$ROUNDS"); do
	for name in base head; do
		url=$([ "$name" = base ] && echo "$base_url" || echo "$head_url")$path
		wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$OUT/wrk-baseline-$name-$round.txt"
		log "book page, $name, round $round: $(rps "$OUT/wrk-baseline-$name-$round.txt") req/s"
	done
done
rounds() { for round in $(seq 1 "$ROUNDS"); do rps "$OUT/wrk-baseline-$1-$round.txt"; done | tr '\n' ' '; }
failed() { for round in $(seq 1 "$ROUNDS"); do non2xx "$OUT/wrk-baseline-$1-$round.txt"; done | awk '{n += $1} END {print n + 0}'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
base_median=$(rounds base | median)
head_median=$(rounds head | median)
{
	echo "| **against a baseline** (two whole Compose stacks side by side, the book page through each VIP, wrk -t2 -c$CONNECTIONS, $ROUNDS interleaved rounds of $DURATION, medians) | |"
	echo "| baseline ${base_commit:0:7} ($base_url) | $(rounds base)req/s (median $base_median), non-2xx $(failed base) |"
	echo "| this tree, ${head_commit:0:7} ($head_url) | $(rounds head)req/s (median $head_median), non-2xx $(failed head) |"
	echo "| ratio: book page through the VIP, this tree / baseline | $(awk -v a="$head_median" -v b="$base_median" 'BEGIN {printf "%.2f", a / b}') |"
} | tee -a "$OUT/results.md"
