#!/usr/bin/env bash
# The database tier of a running stack, through Patroni's own patronictl in a member:
#   scripts/db.sh status       who leads, who follows (sync standby or not), timelines, lag in MB
#   scripts/db.sh switchover   a planned move of the leader to the other member (it must be a
#                              healthy replica); clients lose writes for about a second
# Extra arguments after `--` go to the compose command, e.g. `scripts/db.sh status -- -p NAME`.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/db.sh status|switchover [-- compose options]" >&2; exit 2; }
[ $# -ge 1 ] || usage
action=$1
shift
compose_options=()
if [ "${1:-}" = -- ]; then
	shift
	compose_options=("$@")
elif [ $# -gt 0 ]; then
	usage
fi

if docker compose version >/dev/null 2>&1; then
	compose=(docker compose "${compose_options[@]}")
elif command -v docker-compose >/dev/null; then
	compose=(docker-compose "${compose_options[@]}")
else
	echo "[db] neither 'docker compose' nor 'docker-compose' found" >&2
	exit 1
fi

# Any running member can answer for the whole cluster.
member=""
for candidate in db1 db2; do
	if "${compose[@]}" exec -T "$candidate" true >/dev/null 2>&1; then
		member=$candidate
		break
	fi
done
[ -n "$member" ] || { echo "[db] no database member is running (is the stack up?)" >&2; exit 1; }

case $action in
status)
	"${compose[@]}" exec -T "$member" patronictl list
	;;
switchover)
	# Patroni picks the leader and the healthiest replica itself; it refuses when there is none.
	"${compose[@]}" exec -T "$member" patronictl switchover --force
	"${compose[@]}" exec -T "$member" patronictl list
	;;
*) usage ;;
esac
