#!/usr/bin/env bash
# Benchmarks the tier images as they are deployed, one container each on a private network
# (no load balancer), from this host:
#   start-up  `docker start` to readiness UP, for the app and the web tier (several restarts)
#   book page through the web tier (web -> app -> db), wrk -t2 -c32, warmed
#   catalog search at the app tier (q=river, 20 rows), with 1 and with 8 connections
#   memory    resident set of each JVM after the load
#   the operations plane's cost (BENCH_OPS_COST=true): the book page again on fresh app and web
#             nodes, without metrics and traces (every meter denied, nothing sampled) and as
#             compose runs them (spans to a Zipkin server at the default sampling, both
#             management ports scraped every 10 s as Prometheus does), and with metrics alone,
#             in BENCH_OPS_ROUNDS interleaved rounds
# and records them in target/bench/results.md.
# Needs: a Docker engine, the images (tierstack/{db,app,web}, e.g. from `scripts/up.sh` or
# `docker-compose build`) and wrk. The host reaches the containers' addresses directly
# (Linux); load runs are bounded in time; everything started here is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${TIERSTACK_IMAGE_TAG:-latest}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-20s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
RESTARTS=${BENCH_RESTARTS:-3}
OUT=${BENCH_OUT:-target/bench}
OPS_COST=${BENCH_OPS_COST:-true}
OPS_ROUNDS=${BENCH_OPS_ROUNDS:-3}
NET_PREFIX=${BENCH_NET_PREFIX:-10.219}

log() { printf '[bench] %s\n' "$*"; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (scripts/prepare-host.sh starts one)"
images=(db app web)
[ "$OPS_COST" != true ] || images+=(zipkin)
for image in "${images[@]}"; do
	docker image inspect "tierstack/$image:$TAG" >/dev/null 2>&1 || die "image tierstack/$image:$TAG is missing (docker-compose build)"
done

mkdir -p "$OUT"
run=tierstack-bench-$$
work=$(mktemp -d)
cleanup() {
	[ -z "${scraper:-}" ] || kill "$scraper" 2>/dev/null || true
	docker rm -f "$run-web" "$run-app" "$run-db" "$run-zipkin" >/dev/null 2>&1 || true
	docker network rm "$run" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

printf 'bench-owner' >"$work/db_owner_password" && printf 'bench-app' >"$work/db_app_password"
chmod 0444 "$work"/db_*_password
docker network create --subnet "$NET_PREFIX.0.0/24" "$run" >/dev/null
db_ip=$NET_PREFIX.0.10 app_ip=$NET_PREFIX.0.20 web_ip=$NET_PREFIX.0.30 zipkin_ip=$NET_PREFIX.0.40
secrets=(-v "$work/db_owner_password:/run/secrets/db_owner_password:ro"
	-v "$work/db_app_password:/run/secrets/db_app_password:ro")

# Waits until URL answers 200 and prints the milliseconds since START_NS.
wait_ready() {
	local url=$1 start_ns=$2
	for _ in $(seq 1 600); do
		if curl -fs -m 1 -o /dev/null "$url"; then
			echo $(( ($(date +%s%N) - start_ns) / 1000000 ))
			return 0
		fi
		sleep 0.1
	done
	die "timeout waiting for $url"
}

# Restarts a container RESTARTS times; prints the start-to-ready times.
start_times() {
	local container=$1 url=$2 times=()
	for _ in $(seq 1 "$RESTARTS"); do
		docker stop -t 20 "$container" >/dev/null
		local start
		start=$(date +%s%N)
		docker start "$container" >/dev/null
		times+=("$(wait_ready "$url" "$start")")
	done
	echo "${times[*]}"
}

# Per start: the JVM's uptime when Spring's context had started (the engine's share of a
# `docker start` is not in it), from the "Started ... (process running for N)" log line; the first
# start (app and web at once) left out.
jvm_started() { docker logs "$1" 2>&1 | grep -o 'process running for [0-9.]*' | grep -o '[0-9.]*$' | tail -n +2 | tr '\n' ' '; }
rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$(docker inspect -f '{{.State.Pid}}' "$1")/status"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

log "db"
docker run -d --name "$run-db" --network "$run" --ip "$db_ip" --shm-size 128m "${secrets[@]}" \
	-e DB_ALLOWED_NETWORKS="$NET_PREFIX.0.0/24" "tierstack/db:$TAG" >/dev/null
for _ in $(seq 1 240); do
	[ "$(docker inspect -f '{{.State.Health.Status}}' "$run-db")" = healthy ] && break
	sleep 0.5
done
docker run --rm --network "$run" -v "$work/db_owner_password:/run/secrets/migrate.password:ro" \
	-e MIGRATE_DB_URL="jdbc:postgresql://$db_ip:5432/tierstack" "tierstack/app:$TAG" migrate >"$OUT/migrate.log" 2>&1 \
	|| die "migrate failed, see $OUT/migrate.log"

# The app and web nodes (the compose file's memory limits), with extra `docker create` options.
create_app() {
	docker create --name "$run-app" --network "$run" --ip "$app_ip" -m 512m --read-only --tmpfs /tmp \
		-v "$work/db_app_password:/run/secrets/spring.datasource.password:ro" \
		-e APP_DB_URL="jdbc:postgresql://$db_ip:5432/tierstack" \
		-e NODE_NAME=bench-app "$@" "tierstack/app:$TAG" >/dev/null
}
create_web() {
	docker create --name "$run-web" --network "$run" --ip "$web_ip" -m 384m --read-only --tmpfs /tmp \
		-e APP_TIER_URLS="http://$app_ip:8081" -e NODE_NAME=bench-web "$@" "tierstack/web:$TAG" >/dev/null
}
app_ready=http://$app_ip:8081/readyz
web_ready=http://$web_ip:8080/readyz
start_app_and_web() {
	docker start "$run-app" "$run-web" >/dev/null
	wait_ready "$app_ready" 0 >/dev/null && wait_ready "$web_ready" 0 >/dev/null
}

log "app and web"
create_app
create_web
start_app_and_web

log "start-up: $RESTARTS restarts of each, one at a time"
app_starts=$(start_times "$run-app" "$app_ready")
web_starts=$(start_times "$run-web" "$web_ready")
app_jvm=$(jvm_started "$run-app")
web_jvm=$(jvm_started "$run-web")

isbn=$(curl -fs "http://$app_ip:8081/api/books?size=1" | sed -E 's/.*"isbn":"([0-9]+)".*/\1/')
book_url=http://$web_ip:8080/books/$isbn
search_url="http://$app_ip:8081/api/books?q=river&size=20"
curl -fs -o /dev/null "$book_url" || die "the book page $book_url does not answer 200"

log "warm-up ($WARMUP each)"
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$book_url" >/dev/null
wrk -t2 -c8 -d"$WARMUP" "$search_url" >/dev/null

log "measure ($DURATION each)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$book_url" | tee "$OUT/wrk-book-page.txt"
wrk -t1 -c1 -d"$DURATION" --latency "$search_url" | tee "$OUT/wrk-search-c1.txt"
wrk -t2 -c8 -d"$DURATION" --latency "$search_url" | tee "$OUT/wrk-search-c8.txt"

app_rss=$(rss_mb "$run-app")
web_rss=$(rss_mb "$run-web")
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1==p {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$1"; }

{
	echo "# tierstack benchmark, $(date -u +%FT%TZ), $(nproc) cores, images tierstack/*:$TAG"
	echo
	echo "| figure | value |"
	echo "| --- | --- |"
	echo "| app tier: \`docker start\` to readiness UP, $RESTARTS restarts | $app_starts ms (median $(median <<<"$app_starts") ms); JVM start to started context: $app_jvm s |"
	echo "| web tier: \`docker start\` to readiness UP, $RESTARTS restarts | $web_starts ms (median $(median <<<"$web_starts") ms); JVM start to started context: $web_jvm s |"
	echo "| book page via web tier (web -> app -> db), wrk -t2 -c$CONNECTIONS | $(rps "$OUT/wrk-book-page.txt") req/s, p50 $(pct "$OUT/wrk-book-page.txt" 50%), p99 $(pct "$OUT/wrk-book-page.txt" 99%), non-2xx: $(non2xx "$OUT/wrk-book-page.txt") |"
	echo "| catalog search at the app tier (q=river, 20 rows), 1 connection | $(rps "$OUT/wrk-search-c1.txt") req/s, p50 $(pct "$OUT/wrk-search-c1.txt" 50%), p99 $(pct "$OUT/wrk-search-c1.txt" 99%) |"
	echo "| catalog search at the app tier (q=river, 20 rows), 8 connections | $(rps "$OUT/wrk-search-c8.txt") req/s, p50 $(pct "$OUT/wrk-search-c8.txt" 50%), p99 $(pct "$OUT/wrk-search-c8.txt" 99%) |"
	echo "| app tier JVM RSS after the load (limit 512 MB) | $app_rss MB |"
	echo "| web tier JVM RSS after the load (limit 384 MB) | $web_rss MB |"
} | tee "$OUT/results.md"

[ "$OPS_COST" = true ] || exit 0

# Fresh app and web nodes with the given options; the book page warmed, then measured into
# $OUT/wrk-book-page-LABEL.txt, with both management ports scraped every 10 s when SCRAPE=true.
book_page_as() {
	local label=$1 scrape=$2
	shift 2
	docker rm -f "$run-app" "$run-web" >/dev/null
	create_app "$@"
	create_web "$@"
	start_app_and_web
	wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$book_url" >/dev/null
	if [ "$scrape" = true ]; then
		(for _ in $(seq 1 30); do
			curl -fs -m 5 -o /dev/null "http://$app_ip:9081/actuator/prometheus" || true
			curl -fs -m 5 -o /dev/null "http://$web_ip:9080/actuator/prometheus" || true
			sleep 10
		done) &
		scraper=$!
	fi
	wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$book_url" >"$OUT/wrk-book-page-$label.txt"
	if [ -n "${scraper:-}" ]; then
		kill "$scraper" 2>/dev/null || true
		wait "$scraper" 2>/dev/null || true
		scraper=
	fi
	log "book page, $label: $(rps "$OUT/wrk-book-page-$label.txt") req/s"
}

log "the operations plane's cost: Zipkin, then the book page without and with metrics and traces"
docker run -d --name "$run-zipkin" --network "$run" --ip "$zipkin_ip" -m 384m --read-only --tmpfs /tmp \
	"tierstack/zipkin:$TAG" >/dev/null
wait_ready "http://$zipkin_ip:9411/health" 0 >/dev/null
# Rounds of the three, interleaved, so that the host's drift hits each alike; medians compared.
for round in $(seq 1 "$OPS_ROUNDS"); do
	book_page_as "without-$round" false -e TRACING_SAMPLING=0 -e MANAGEMENT_METRICS_ENABLE_ALL=false
	book_page_as "metrics-$round" true -e TRACING_SAMPLING=0
	book_page_as "with-$round" true -e ZIPKIN_ENDPOINT="http://$zipkin_ip:9411/api/v2/spans"
done
rounds() { for round in $(seq 1 "$OPS_ROUNDS"); do rps "$OUT/wrk-book-page-$1-$round.txt"; done | tr '\n' ' '; }
lost() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f %%", 100 * (a - b) / a}'; }
without=$(rounds without | median)
metrics=$(rounds metrics | median)
with=$(rounds with | median)
spans=$(curl -fs "http://$zipkin_ip:9411/prometheus" | awk '/^zipkin_collector_spans_total/ {n += $2} END {printf "%d", n}')
{
	echo "| book page, wrk -t2 -c$CONNECTIONS, fresh nodes, $OPS_ROUNDS interleaved rounds: no meters, nothing sampled | $(rounds without)req/s (median $without) |"
	echo "| the same with metrics, scraped every 10 s, nothing sampled | $(rounds metrics)req/s (median $metrics) |"
	echo "| the same with metrics and traces to Zipkin at the default sampling | $(rounds with)req/s (median $with); $spans spans received by Zipkin |"
	echo "| throughput lost to metrics / to metrics and traces (medians) | $(lost "$without" "$metrics") / $(lost "$without" "$with") |"
	echo "| Zipkin server resident set after the load | $(rss_mb "$run-zipkin") MB |"
} | tee -a "$OUT/results.md"
