#!/usr/bin/env bash
# Brings the whole tierstack up: secrets (if absent), the tier jars, the images, the stack.
# Extra arguments go to `compose up`, e.g. `scripts/up.sh --scale web=3 --scale app=3`.
# Stop it with `docker compose down -v` (or `docker-compose down -v`).
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
elif command -v docker-compose >/dev/null; then
	compose=(docker-compose)
else
	echo "[up] neither 'docker compose' nor 'docker-compose' found (scripts/prepare-host.sh installs one)" >&2
	exit 1
fi
docker info >/dev/null 2>&1 || { echo "[up] no Docker engine answers (scripts/prepare-host.sh starts one)" >&2; exit 1; }

export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
scripts/generate-secrets.sh
./mvnw -q -B -DskipTests package
"${compose[@]}" up --build -d "$@"

api="https://${TIERSTACK_HTTP_BIND:-127.0.0.1}:${TIERSTACK_HTTPS_PORT:-8443}/api/books?size=1"
prefix=${TIERSTACK_NET_PREFIX:-10.203}

# What the wait is at, on one line: rewritten in place on a terminal; in a log, printed again
# when it changes and every 15 s.
progress() {
	local line="[up] $1, ${SECONDS}s"
	if [ -t 1 ]; then
		local width
		width=$(tput cols 2>/dev/null || echo 100)
		printf '\r\033[K%s' "${line:0:width-1}"
		progressed=1
	elif [ "$1" != "${last_progress:-}" ] || [ "$SECONDS" -ge $((${last_progress_at:-0} + 15)) ]; then
		echo "$line"
		last_progress=$1
		last_progress_at=$SECONDS
	fi
}
end_progress() {
	if [ -n "${progressed:-}" ]; then
		echo
		progressed=
	fi
}

# One line per container: its name, its service, whether it is done (healthy, or a one-shot
# job that exited 0) or not yet, and its state.
states() {
	local ids
	ids=$("${compose[@]}" ps -q)
	{ docker inspect -f '{{.Name}} {{index .Config.Labels "com.docker.compose.service"}} {{.HostConfig.RestartPolicy.Name}} {{if and .State.Running .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}({{.State.ExitCode}}){{end}}' \
		$ids 2>/dev/null || true; } | sed 's#^/##' | while read -r name service restart state; do
		if [ "$state" = healthy ] || { [ "$restart" = no ] && [ "$state" = "exited(0)" ]; }; then
			echo "$name $service done $state"
		else
			echo "$name $service waiting $state"
		fi
	done
}

# The containers of these state lines, with their state and the last words of their health
# check and of their log.
report() {
	while read -r name _ _ state; do
		echo "      $name: $state" >&2
		check=$(docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$name" | grep . | tail -n 1 || true)
		if [ -n "$check" ]; then
			echo "        last health check: $check" >&2
		fi
		docker logs --tail 3 "$name" 2>&1 | sed 's/^/        | /' >&2
	done <<<"$1"
	echo "    more with: ${compose[*]} logs $(cut -d' ' -f2 <<<"$1" | sort -u | paste -sd' ' -)" >&2
}

SECONDS=0
while :; do
	current=$(states)
	waiting=$(grep ' waiting ' <<<"$current" || true)
	if [ -n "$current" ] && [ -z "$waiting" ]; then
		break
	fi
	if [ "$SECONDS" -ge 180 ]; then
		end_progress
		echo "[up] not every service became healthy within 180 s:" >&2
		report "$waiting"
		exit 1
	fi
	services=$(cut -d' ' -f2 <<<"$waiting" | sort -u | paste -sd, - | sed 's/,/, /g')
	progress "waiting for the services to be healthy: $(grep -c . <<<"$waiting") of $(grep -c . <<<"$current") containers not yet ($services)"
	sleep 1
done
end_progress

# Healthy is not yet serving: each web node finds the app replicas (DNS, then its own readiness
# probes) a few seconds after they turned healthy. Ten answers in a row: each web node has
# found them.
ok=0
serving_since=$SECONDS
while [ "$ok" -lt 10 ]; do
	status=$(curl -s --cacert secrets/tls/ca.crt -o /dev/null -w '%{http_code}' --max-time 2 "$api" || true)
	if [ "$status" = 200 ]; then
		ok=$((ok + 1))
		continue
	fi
	ok=0
	if [ "${status:-000}" = 000 ]; then
		last="no answer"
	else
		last="HTTP $status"
	fi
	if [ $((SECONDS - serving_since)) -ge 60 ]; then
		end_progress
		echo "[up] every service is healthy, but $api did not answer 200 ten times in a row within 60 s (last: $last)" >&2
		echo "    more with: ${compose[*]} logs lb1 lb2 web app" >&2
		exit 1
	fi
	progress "waiting for $api to answer: $last"
	sleep 0.25
done
end_progress
echo "[up] tierstack is up:"
printf '      %-32s %s\n' "https://$prefix.1.10/" "the VIP (Linux host)" \
	"https://127.0.0.1:${TIERSTACK_HTTPS_PORT:-8443}/" "published port of lb1 (Docker Desktop)" \
	"secrets/tls/ca.crt" "the local CA that issued their certificate (README: trust it)" \
	"http://$prefix.2.11:8404/stats" "HAProxy stats of lb1 (lb2: .2.12)"
