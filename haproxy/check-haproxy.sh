#!/bin/bash
# The local HAProxy's health over HTTP, in two forms:
#   check-haproxy          alive: its monitor URI answers 200 (Docker's health check);
#   check-haproxy --watch FILE
#                          can serve: HAProxy answers within 0.4 s and sees at least one web
#                          node UP (the peer_in frontend's readiness). Checked every 0.2 s;
#                          after two results in a row that differ from the last, FILE gets 0
#                          (serving) or 1 (not), which keepalived tracks.
# bash's /dev/tcp costs a fraction of the CPU of a curl process; on loopback a stopped HAProxy
# refuses at once, and one that accepts but does not answer fails the read timeout.

# ask HOST PORT PATH TIMEOUT: whether the answer's status line says 200.
ask() {
	local status
	{ exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$3" >&3
	IFS= read -r -t "$4" status <&3
	exec 3<&-
	[[ $status == "HTTP/1."[01]" 200 "* ]]
}

if [ "${1:-}" != --watch ]; then
	ask 127.0.0.1 8404 /healthz 1.5
	exit
fi

file=${2:?usage: check-haproxy --watch FILE}
: "${NODE_ADDR:?NODE_ADDR is required}" "${PEER_PORT:=8480}"
written=
streak=0
last=
while :; do
	if ask "$NODE_ADDR" "$PEER_PORT" /actuator/health/readiness 0.4; then now=0; else now=1; fi
	if [ "$now" = "$last" ]; then streak=$((streak + 1)); else streak=1; last=$now; fi
	if [ "$streak" -ge 2 ] && [ "$now" != "$written" ]; then
		printf '%s\n' "$now" >"$file.tmp" && mv -f "$file.tmp" "$file"
		written=$now
		printf '%s lb-watch[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "${NODE_NAME:-lb}" \
			"$([ "$now" = 0 ] && echo serving || echo 'cannot serve: VIP priority -50')"
	fi
	sleep 0.2
done
