#!/usr/bin/env bash
# The container's health: a standalone server answers on its Unix socket (peer auth, no
# password; the temporary server of the initialisation has a socket elsewhere, so this means
# the final server is up). A Patroni member asks its REST API, where the entrypoint's
# configuration has it listen, over bash alone: by default /health (PostgreSQL runs, as leader
# or replica); with the argument `liveness`, /liveness (Patroni's loop runs, whatever
# PostgreSQL is doing: copying, rewinding, recovering).
set -euo pipefail
endpoint=${1:-health}
case $endpoint in
health | liveness) ;;
*) echo "healthcheck.sh: unknown check '$endpoint' (health or liveness)" >&2; exit 1 ;;
esac
if [ "${DB_MODE:-primary}" != patroni ]; then
	exec pg_isready -q -h /var/run/postgresql -U postgres -d postgres
fi
listen=$(sed -n '/^restapi:/,/^[^ ]/s/^  listen: *//p' "${PATRONICTL_CONFIG_FILE:-/tmp/patroni.yml}") || exit 1
[ -n "$listen" ] || exit 1
exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}"
printf 'GET /%s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$endpoint" >&3
head -n 1 <&3 | grep -q ' 200 '
