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
#   the chain (BENCH_CHAIN=true): the load balancer (the haproxy image and its configuration,
#             HTTPS) in front of the web node and, as the baseline for static files, in front of
#             nginx serving the same hashed stylesheet; the stylesheet, the book page and the
#             catalog page through it and directly, the first 50 catalog pages in turn through
#             it, in BENCH_CHAIN_ROUNDS interleaved rounds, and the book page's p99 at half its
#             saturating rate through it
# and records them in target/bench/results.md.
#   against a baseline (--baseline GIT-REF): the book page through the VIP of a whole stack built
#             from GIT-REF and of one built from this tree, side by side (scripts/bench-baseline.sh)
# --short: seconds per measurement and one round of each, for CI (the figures are only a smoke
# test there).
# Needs: a Docker engine, the images (tierstack/{db,app,web}, e.g. from `scripts/up.sh` or
# `docker-compose build`) and wrk. The host reaches the containers' addresses directly
# (Linux); load runs are bounded in time; everything started here is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BASELINE=
while [ $# -gt 0 ]; do
	case $1 in
	--short) : "${BENCH_DURATION:=3s}" "${BENCH_WARMUP:=2s}" "${BENCH_RESTARTS:=1}" "${BENCH_OPS_ROUNDS:=1}" "${BENCH_CHAIN_ROUNDS:=1}" ;;
	--baseline) [ $# -ge 2 ] || { printf '[bench] --baseline needs a git ref\n' >&2; exit 2; }; BASELINE=$2; shift ;;
	*) printf '[bench] usage: %s [--short] [--baseline GIT-REF]\n' "$0" >&2; exit 2 ;;
	esac
	shift
done

TAG=${TIERSTACK_IMAGE_TAG:-latest}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-20s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
RESTARTS=${BENCH_RESTARTS:-3}
OUT=${BENCH_OUT:-target/bench}
OPS_COST=${BENCH_OPS_COST:-true}
OPS_ROUNDS=${BENCH_OPS_ROUNDS:-3}
CHAIN=${BENCH_CHAIN:-true}
CHAIN_ROUNDS=${BENCH_CHAIN_ROUNDS:-3}
NET_PREFIX=${BENCH_NET_PREFIX:-10.219}

log() { printf '[bench] %s\n' "$*"; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (scripts/prepare-host.sh starts one)"
images=(db app web)
[ "$OPS_COST" != true ] || images+=(zipkin)
[ "$CHAIN" != true ] || images+=(haproxy)
for image in "${images[@]}"; do
	docker image inspect "tierstack/$image:$TAG" >/dev/null 2>&1 || die "image tierstack/$image:$TAG is missing (docker-compose build)"
done
if [ "$CHAIN" = true ] && ! docker image inspect tierstack/bench-nginx:latest >/dev/null 2>&1; then
	log "building the nginx baseline image"
	docker build --network host -q -t tierstack/bench-nginx:latest scripts/bench-nginx >/dev/null
fi

mkdir -p "$OUT"
run=tierstack-bench-$$
work=$(mktemp -d)
cleanup() {
	[ -z "${scraper:-}" ] || kill "$scraper" 2>/dev/null || true
	docker rm -f "$run-web" "$run-app" "$run-db" "$run-zipkin" "$run-nginx" "$run-lb" "$run-lb-nginx" >/dev/null 2>&1 || true
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
		if curl -kfs -m 1 -o /dev/null "$url"; then
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

if [ "$CHAIN" = true ]; then
	# The whole chain, side by side: the load balancer (the haproxy image and its configuration
	# as the stack runs it, HTTPS with the stack's certificate) in front of the web node, and the
	# same in front of nginx serving the same asset; each URL warmed, then CHAIN_ROUNDS
	# interleaved rounds, medians compared. The rate limit is lifted on both load balancers
	# alike: wrk is one client.
	log "the chain: load balancers in front of the web node and of nginx"
	scripts/generate-secrets.sh >/dev/null
	lb_ip=$NET_PREFIX.0.50 nginx_ip=$NET_PREFIX.0.60 lb_nginx_ip=$NET_PREFIX.0.70
	asset=$(curl -fs "$book_url" | grep -o '/css/site-[0-9a-f]*\.css' | head -n 1)
	[ -n "$asset" ] || die "the book page links no hashed stylesheet"
	mkdir -p "$work/srv/css" && curl -fs -o "$work/srv$asset" "http://$web_ip:8080$asset"
	chmod -R a+rX "$work/srv"
	docker run -d --name "$run-nginx" --network "$run" --ip "$nginx_ip" -v "$work/srv:/srv:ro" \
		tierstack/bench-nginx:latest >/dev/null
	start_lb() {
		docker run -d --name "$run-$1" --network "$run" --ip "$2" --tmpfs /run/haproxy \
			-v "$PWD/secrets/tls/lb.pem:/run/secrets/lb_tls_cert:ro" \
			-v "$PWD/secrets/tls_ticket_keys.txt:/run/secrets/tls_ticket_keys:ro" \
			-e NODE_NAME="$1" -e NODE_ADDR="$2" -e PEER_ADDR="$NET_PREFIX.0.99" -e WEB_DNS_NAME="$3" \
			-e RATE_LIMIT_PER_SEC=1000000000 --entrypoint bash "tierstack/haproxy:$TAG" \
			-c 'haproxy -db -f /etc/haproxy/haproxy.cfg | log-batcher' >/dev/null
	}
	start_lb lb "$lb_ip" "$run-web"
	start_lb lb-nginx "$lb_nginx_ip" "$run-nginx"
	isbn_path=/books/$isbn
	# name URL: the chain's measurements, in the order of the table below.
	urls=(
		"asset-lb https://$lb_ip$asset"
		"asset-nginx https://$lb_nginx_ip$asset"
		"book-lb https://$lb_ip$isbn_path"
		"book-direct http://$web_ip:8080$isbn_path"
		"catalog-lb https://$lb_ip/"
		"catalog-direct http://$web_ip:8080/"
		"pages-lb https://$lb_ip/"
	)
	# pages-*: the first 50 catalog pages in turn, not one page over and over.
	printf 'local n = 0\nfunction request() n = n + 1; return wrk.format(nil, "/?page=" .. (n %% 50)) end\n' \
		>"$work/pages.lua"
	chain_wrk() {
		local name=$1 url=$2
		shift 2
		case $name in pages-*) set -- "$@" -s "$work/pages.lua" ;; esac
		wrk -t2 -c"$CONNECTIONS" "$@" "$url"
	}
	for entry in "${urls[@]}"; do
		url=${entry#* }
		wait_ready "$url" 0 >/dev/null
		chain_wrk "${entry%% *}" "$url" -d"$WARMUP" >/dev/null
	done
	for round in $(seq 1 "$CHAIN_ROUNDS"); do
		for entry in "${urls[@]}"; do
			chain_wrk "${entry%% *}" "${entry#* }" -d"$DURATION" --latency >"$OUT/wrk-${entry%% *}-$round.txt"
			log "${entry%% *}, round $round: $(rps "$OUT/wrk-${entry%% *}-$round.txt") req/s"
		done
	done
	chain_rounds() { for round in $(seq 1 "$CHAIN_ROUNDS"); do rps "$OUT/wrk-$1-$round.txt"; done | tr '\n' ' '; }
	chain_non2xx() { for round in $(seq 1 "$CHAIN_ROUNDS"); do non2xx "$OUT/wrk-$1-$round.txt"; done | awk '{n += $1} END {print n + 0}'; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
	declare -A median_of
	for entry in "${urls[@]}"; do
		median_of[${entry%% *}]=$(chain_rounds "${entry%% *}" | median)
	done

	# The book page's p99 at half its saturating rate through the load balancer: 8 connections,
	# each pausing between requests (wrk's delay hook), the pause set from a first short run.
	half=$(awk -v r="${median_of[book-lb]}" 'BEGIN {printf "%.0f", r / 2}')
	printf 'local pause = tonumber(os.getenv("BENCH_PAUSE_MS"))\nfunction delay() return pause end\n' >"$work/paced.lua"
	pause=$(awk -v h="$half" 'BEGIN {printf "%.0f", 8000 / h}')
	BENCH_PAUSE_MS=$pause wrk -t2 -c8 -d"$WARMUP" -s "$work/paced.lua" "https://$lb_ip$isbn_path" >"$work/paced-probe.txt"
	pause=$(awk -v h="$half" -v p="$pause" -v r="$(rps "$work/paced-probe.txt")" \
		'BEGIN {q = 8000 / h - (8000 / r - p); printf "%.0f", (q < 0) ? 0 : q}')
	BENCH_PAUSE_MS=$pause wrk -t2 -c8 -d"$DURATION" --latency -s "$work/paced.lua" "https://$lb_ip$isbn_path" \
		>"$OUT/wrk-book-lb-half-rate.txt"
	{
		echo "| **the chain** (wrk -t2 -c$CONNECTIONS, $CHAIN_ROUNDS interleaved rounds of $DURATION, medians; HTTPS at the load balancer) | |"
		echo "| hashed stylesheet ($asset) through the load balancer | $(chain_rounds asset-lb)req/s (median ${median_of[asset-lb]}), non-2xx $(chain_non2xx asset-lb) |"
		echo "| the same file from nginx through the same load-balancer configuration | $(chain_rounds asset-nginx)req/s (median ${median_of[asset-nginx]}), non-2xx $(chain_non2xx asset-nginx) |"
		echo "| book page through the load balancer | $(chain_rounds book-lb)req/s (median ${median_of[book-lb]}), non-2xx $(chain_non2xx book-lb) |"
		echo "| book page from the web node directly | $(chain_rounds book-direct)req/s (median ${median_of[book-direct]}), non-2xx $(chain_non2xx book-direct) |"
		echo "| catalog page through the load balancer | $(chain_rounds catalog-lb)req/s (median ${median_of[catalog-lb]}), non-2xx $(chain_non2xx catalog-lb) |"
		echo "| catalog page from the web node directly | $(chain_rounds catalog-direct)req/s (median ${median_of[catalog-direct]}), non-2xx $(chain_non2xx catalog-direct) |"
		echo "| the first 50 catalog pages in turn, through the load balancer | $(chain_rounds pages-lb)req/s (median ${median_of[pages-lb]}), non-2xx $(chain_non2xx pages-lb) |"
		echo "| ratio: asset, load balancer / nginx behind it | $(ratio "${median_of[asset-lb]}" "${median_of[asset-nginx]}") |"
		echo "| ratio: book page, load balancer / direct | $(ratio "${median_of[book-lb]}" "${median_of[book-direct]}") |"
		echo "| ratio: catalog page / book page, through the load balancer | $(ratio "${median_of[catalog-lb]}" "${median_of[book-lb]}") |"
		echo "| ratio: 50 catalog pages in turn / book page, through the load balancer | $(ratio "${median_of[pages-lb]}" "${median_of[book-lb]}") |"
		echo "| ratio: catalog page / book page, from the web node directly (no copy kept) | $(ratio "${median_of[catalog-direct]}" "${median_of[book-direct]}") |"
		echo "| book page at half its saturating rate ($half req/s asked, 8 connections pausing $pause ms) through the load balancer | $(rps "$OUT/wrk-book-lb-half-rate.txt") req/s, p50 $(pct "$OUT/wrk-book-lb-half-rate.txt" 50%), p99 $(pct "$OUT/wrk-book-lb-half-rate.txt" 99%), non-2xx $(non2xx "$OUT/wrk-book-lb-half-rate.txt") |"
	} | tee -a "$OUT/results.md"
fi

if [ -n "$BASELINE" ]; then
	BENCH_OUT=$OUT BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP BENCH_CONNECTIONS=$CONNECTIONS \
		BENCH_CHAIN_ROUNDS=$CHAIN_ROUNDS scripts/bench-baseline.sh "$BASELINE"
fi

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
