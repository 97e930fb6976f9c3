#!/usr/bin/env bash
# Benchmarks the tiers as separate processes on this host:
#   db  : the db-tier image in a container (published on loopback only)
#   app : app-tier-exec.jar, web: web-tier-exec.jar (JVMs on the host)
# and prints/records: time to ready of each JVM, requests/s and latency of the book page
# through the web tier (web -> app -> db), p50/p99 of catalog search at the app tier, and the
# resident memory of each JVM after the load.
# Needs: a Docker engine with tierstack/db built, wrk, and `./mvnw -DskipTests package` done.
# Bounded: every wrk run is limited in time; every process started here is stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DB_PORT=${BENCH_DB_PORT:-15432}
APP_PORT=${BENCH_APP_PORT:-18081}
WEB_PORT=${BENCH_WEB_PORT:-18080}
OUT=${BENCH_OUT:-target/bench}
JVM_OPTS=${BENCH_JVM_OPTS:--Xmx256m -XX:+UseSerialGC}

mkdir -p "$OUT"
work=$(mktemp -d)
db_container="" app_pid="" web_pid=""
cleanup() {
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null || true
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
	[ -n "$db_container" ] && docker rm -f "$db_container" >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for jar in app-tier/target/app-tier-exec.jar web-tier/target/web-tier-exec.jar; do
	[ -f "$jar" ] || { echo "missing $jar: run ./mvnw -DskipTests package first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

printf 'bench-owner\n' >"$work/owner" && printf 'bench-app\n' >"$work/app"
chmod 0444 "$work/owner" "$work/app"

# Waits until URL answers 200; prints the milliseconds since START_NS.
wait_ready() {
	local url=$1 start_ns=$2
	for _ in $(seq 1 600); do
		if curl -fs -o /dev/null "$url"; then
			echo $(( ($(date +%s%N) - start_ns) / 1000000 ))
			return 0
		fi
		sleep 0.05
	done
	echo "timeout waiting for $url" >&2
	return 1
}

rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }

echo "== db"
db_container=$(docker run -d -p "127.0.0.1:$DB_PORT:5432" \
	-v "$work/owner:/run/secrets/db_owner_password:ro" -v "$work/app:/run/secrets/db_app_password:ro" \
	-e DB_ALLOWED_NETWORKS=0.0.0.0/0 tierstack/db:latest)
for _ in $(seq 1 120); do
	[ "$(docker inspect -f '{{.State.Health.Status}}' "$db_container" 2>/dev/null)" = healthy ] && break
	sleep 0.5
done
export APP_DB_URL="jdbc:postgresql://127.0.0.1:$DB_PORT/tierstack"
MIGRATE_DB_PASSWORD_FILE="$work/owner" "$JAVA" -jar app-tier/target/app-tier-exec.jar migrate >"$OUT/migrate.log" 2>&1

echo "== app"
start=$(date +%s%N)
APP_DB_PASSWORD_FILE="$work/app" SERVER_PORT=$APP_PORT NODE_NAME=bench-app \
	"$JAVA" $JVM_OPTS -jar app-tier/target/app-tier-exec.jar >"$OUT/app.log" 2>&1 &
app_pid=$!
app_ready_ms=$(wait_ready "http://127.0.0.1:$APP_PORT/actuator/health/readiness" "$start")

echo "== web"
start=$(date +%s%N)
APP_TIER_URLS="http://127.0.0.1:$APP_PORT" SERVER_PORT=$WEB_PORT NODE_NAME=bench-web \
	"$JAVA" $JVM_OPTS -jar web-tier/target/web-tier-exec.jar >"$OUT/web.log" 2>&1 &
web_pid=$!
web_ready_ms=$(wait_ready "http://127.0.0.1:$WEB_PORT/actuator/health/readiness" "$start")

isbn=$(curl -fs "http://127.0.0.1:$APP_PORT/api/books?size=1" | sed -E 's/.*"isbn":"([0-9]+)".*/\1/')
book_url="http://127.0.0.1:$WEB_PORT/books/$isbn"
search_url="http://127.0.0.1:$APP_PORT/api/books?q=river&size=20"

echo "== warm-up ($WARMUP each)"
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$book_url" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$search_url" >/dev/null

echo "== measure ($DURATION each)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$book_url" | tee "$OUT/wrk-book-page.txt"
wrk -t2 -c8 -d"$DURATION" --latency "$search_url" | tee "$OUT/wrk-search.txt"

app_rss=$(rss_mb "$app_pid")
web_rss=$(rss_mb "$web_pid")
book_rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-book-page.txt")
book_p99=$(awk '$1=="99%" {print $2}' "$OUT/wrk-book-page.txt")
search_rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-search.txt")
search_p50=$(awk '$1=="50%" {print $2}' "$OUT/wrk-search.txt")
search_p99=$(awk '$1=="99%" {print $2}' "$OUT/wrk-search.txt")
app_started=$(grep -o 'Started AppTierApplication in [0-9.]* seconds' "$OUT/app.log" | grep -o '[0-9.]*' | head -1)
web_started=$(grep -o 'Started WebTierApplication in [0-9.]* seconds' "$OUT/web.log" | grep -o '[0-9.]*' | head -1)

{
	echo "# tierstack benchmark, $(date -u +%FT%TZ), $(nproc) cores, JVM options: $JVM_OPTS"
	echo
	echo "| figure | value |"
	echo "| --- | --- |"
	echo "| app tier: process start to ready (readiness UP) | ${app_ready_ms} ms (Spring: ${app_started:-?} s) |"
	echo "| web tier: process start to ready (readiness UP) | ${web_ready_ms} ms (Spring: ${web_started:-?} s) |"
	echo "| book page via web tier (web -> app -> db), wrk -t2 -c$CONNECTIONS | ${book_rps} req/s, p99 ${book_p99} |"
	echo "| catalog search at the app tier (q=river, 20 rows), wrk -t2 -c8 | ${search_rps} req/s, p50 ${search_p50}, p99 ${search_p99} |"
	echo "| app tier RSS after load | ${app_rss} MB |"
	echo "| web tier RSS after load | ${web_rss} MB |"
} | tee "$OUT/results.md"
