#!/usr/bin/env bash
# The book page through the VIP of two whole stacks side by side: one built from the tree of
# a given git ref (its jars and images, by its own scripts/up.sh), and one of this tree (by
# this tree's scripts/up.sh). Each is a full Compose stack on addresses of its own, both
# warmed, then measured in interleaved rounds; medians compared.
# Usage: scripts/bench-baseline.sh REF (bench.sh --baseline REF calls it). It appends its rows
# to $BENCH_OUT/results.md (default target/bench) and takes BENCH_DURATION, BENCH_WARMUP,
# BENCH_CONNECTIONS and BENCH_CHAIN_ROUNDS as bench.sh does. Both stacks, and the image tags
# made for them, are removed on exit.
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

# Each stack's tree, network prefix (BENCH_BASELINE_NET_PREFIX, BENCH_HEAD_NET_PREFIX) and
# published ports (the defaults plus an offset); its images are tagged bench-base and bench-head.
declare -A tree=([base]=$(mktemp -d) [head]=$PWD)
declare -A prefix=([base]=${BENCH_BASELINE_NET_PREFIX:-10.217} [head]=${BENCH_HEAD_NET_PREFIX:-10.216})
declare -A offset=([base]=10000 [head]=20000)
declare -A label=([base]="baseline ${base_commit:0:7}" [head]="this tree, ${head_commit:0:7}")
# Runs the command in the stack's tree with its Compose settings.
in_stack() {
	local name=$1
	shift
	(cd "${tree[$name]}" &&
		export COMPOSE_PROJECT_NAME="tierstack-bench-$name" TIERSTACK_IMAGE_TAG="bench-$name" \
			TIERSTACK_NET_PREFIX="${prefix[$name]}" TIERSTACK_RATE_LIMIT_PER_SEC=1000000000 \
			TIERSTACK_HTTP_PORT=$((offset[$name] + 8088)) TIERSTACK_HTTPS_PORT=$((offset[$name] + 8443)) \
			TIERSTACK_PROMETHEUS_PORT=$((offset[$name] + 9090)) TIERSTACK_ZIPKIN_PORT=$((offset[$name] + 9411)) &&
		"$@")
}
cleanup() {
	for name in base head; do
		if [ -f "${tree[$name]}/docker-compose.yml" ]; then
			in_stack "$name" "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
		fi
		# By name: an image that also carries another tag (latest) keeps it.
		docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=tierstack/*:bench-$name" |
			xargs -r docker rmi >/dev/null 2>&1 || true
	done
	rm -rf "${tree[base]}"
}
trap cleanup EXIT

git archive "$base_commit" | tar -x -C "${tree[base]}"
for name in base head; do
	log "${label[$name]}: building and starting the stack"
	# Jars and images first: Compose would otherwise look for an image that only a later
	# service builds (the one-shot migration runs the app image) in a registry.
	in_stack "$name" bash -c './mvnw -q -B -DskipTests package && "$@" build -q && bash scripts/up.sh' \
		build "${compose[@]}" >"$OUT/up-$name.log" 2>&1 ||
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
base_url=$(vip_url "${prefix[base]}")
head_url=$(vip_url "${prefix[head]}")
isbn=$({ curl -skf "$base_url/api/books?size=1" || true; } | grep -o '"isbn":"[0-9]*"' | head -n 1 | grep -o '[0-9]\{13\}' || true)
[ -n "$isbn" ] || die "the baseline's catalog at $base_url answered no book"
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
	echo "| ${label[base]} ($base_url) | $(rounds base)req/s (median $base_median), non-2xx $(failed base) |"
	echo "| ${label[head]} ($head_url) | $(rounds head)req/s (median $head_median), non-2xx $(failed head) |"
	echo "| ratio: book page through the VIP, this tree / baseline | $(awk -v a="$head_median" -v b="$base_median" 'BEGIN {printf "%.2f", a / b}') |"
} | tee -a "$OUT/results.md"
