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

echo "[up] waiting for every service to be healthy"
for _ in $(seq 1 180); do
	ids=$("${compose[@]}" ps -q)
	states=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $ids)
	if ! grep -qvE '^(healthy|exited)$' <<<"$states"; then
		# Healthy is not yet serving: each web node finds the app replicas (DNS, then its own
		# readiness probes) a few seconds after they turned healthy.
		api="http://${TIERSTACK_HTTP_BIND:-127.0.0.1}:${TIERSTACK_HTTP_PORT:-8088}/api/books?size=1"
		# Ten answers in a row: each web node has found them.
		ok=0
		for _ in $(seq 1 240); do
			if curl -fsS -o /dev/null --max-time 2 "$api"; then
				ok=$((ok + 1))
				[ $ok -ge 10 ] && break
			else
				ok=0
				sleep 0.25
			fi
		done
		[ $ok -ge 10 ] || { echo "[up] healthy, but $api does not answer steadily" >&2; exit 1; }
		prefix=${TIERSTACK_NET_PREFIX:-10.203}
		echo "[up] tierstack is up:"
		echo "      http://$prefix.1.10/            the VIP (Linux host)"
		echo "      http://127.0.0.1:${TIERSTACK_HTTP_PORT:-8088}/   published port of lb1 (Docker Desktop)"
		echo "      http://$prefix.2.11:8404/stats  HAProxy stats of lb1 (lb2: .2.12)"
		exit 0
	fi
	sleep 1
done
echo "[up] not every service became healthy within 180 s:" >&2
"${compose[@]}" ps >&2
exit 1
