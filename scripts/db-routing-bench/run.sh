#!/usr/bin/env bash
# Measures the write gap of the two ways the app tier could find the database leader, on the
# same hard kill of a running stack (scripts/up.sh): the JDBC driver's multi-host URL (what
# the stack uses) and HAProxy following Patroni's /primary (the alternative, started here
# next to the stack for the measurement and removed after). Kills the leader RUNS times
# (default 3), starting it again and waiting for it to rejoin in between.
#   scripts/db-routing-bench/run.sh [-p compose-project] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
project=tierstack
if [ "${1:-}" = -p ]; then project=$2; shift 2; fi
runs=${1:-3}
prefix=${TIERSTACK_NET_PREFIX:-10.203}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
driver=$(find "${HOME}/.m2/repository/org/postgresql/postgresql" -name 'postgresql-*.jar' | sort -V | tail -1)
[ -n "$driver" ] || { echo "[routing-bench] no PostgreSQL driver in ~/.m2: run ./mvnw package first" >&2; exit 1; }
password=$(cat secrets/db_app_password.txt)
router=$project-db-router
docker rm -f "$router" >/dev/null 2>&1 || true
trap 'docker rm -f "$router" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$router" --network "${project}_data" --entrypoint haproxy \
	-e DB1_DATA="$prefix.4.11" -e DB2_DATA="$prefix.4.12" -e DB1_PEER="$prefix.5.11" -e DB2_PEER="$prefix.5.12" \
	-v "$PWD/scripts/db-routing-bench/haproxy.cfg:/etc/haproxy/router.cfg:ro" \
	tierstack/haproxy:${TIERSTACK_IMAGE_TAG:-latest} -f /etc/haproxy/router.cfg >/dev/null
docker network connect "${project}_dbpeer" "$router"
router_ip=$(docker inspect -f "{{with index .NetworkSettings.Networks \"${project}_data\"}}{{.IPAddress}}{{end}}" "$router")

leader() {
	curl -s --max-time 2 "http://$prefix.5.11:8008/cluster" "http://$prefix.5.12:8008/cluster" 2>/dev/null |
		grep -o '"name": "db[12]", "role": "leader"' | head -1 | grep -o 'db[12]' || true
}

for run in $(seq 1 "$runs"); do
	member=""
	for _ in $(seq 1 60); do member=$(leader); [ -n "$member" ] && break; sleep 1; done
	[ -n "$member" ] || { echo "[routing-bench] no leader" >&2; exit 1; }
	sleep 5
	echo "[routing-bench] run $run: killing the leader $member"
	"$JAVA_HOME/bin/java" -cp "$driver" scripts/db-routing-bench/RoutingGap.java "${project}_${member}_1" "$password" \
		"driver=jdbc:postgresql://$prefix.4.11:5432,$prefix.4.12:5432/tierstack?targetServerType=primary&hostRecheckSeconds=2&connectTimeout=1" \
		"haproxy=jdbc:postgresql://$router_ip:5000/tierstack?connectTimeout=1"
	docker start "${project}_${member}_1" >/dev/null
	for _ in $(seq 1 60); do
		curl -s --max-time 2 "http://$prefix.5.11:8008/cluster" | grep -q "\"name\": \"$member\", \"role\": \"\(sync_standby\|replica\)\", \"state\": \"\(running\|streaming\)\"" && break
		sleep 1
	done
done
