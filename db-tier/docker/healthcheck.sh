#!/usr/bin/env bash
# The container's health: a standalone server answers on its Unix socket (peer auth, no
# password; the temporary server of the initialisation has a socket elsewhere, so this means
# the final server is up). A Patroni member is healthy while its PostgreSQL runs, as leader or
# replica: Patroni's /health, over bash alone, where the entrypoint's configuration has its
# REST API listen.
set -euo pipefail
if [ "${DB_MODE:-primary}" != patroni ]; then
	exec pg_isready -q -h /var/run/postgresql -U postgres -d postgres
fi
listen=$(sed -n '/^restapi:/,/^[^ ]/s/^  listen: *//p' "$PATRONICTL_CONFIG_FILE")
exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}"
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
head -n 1 <&3 | grep -q ' 200 '
