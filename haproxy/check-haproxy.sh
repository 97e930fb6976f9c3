#!/bin/bash
# The local HAProxy's health over HTTP, in two forms:
#   check-haproxy          alive: its monitor URI answers 200 (Docker's health check);
#   check-haproxy --watch FILE
#                          can serve: HAProxy answers within 0.4 s and sees at least one web
#                          node UP (the peer_in frontend's readiness). Checked every 0.1 s;
#                          FILE gets 1 (not serving) as soon as HAProxy itself answers that no
#                          web node is UP (its checks already waited for three failures), or
#                          after two checks in a row without an answer (a slow answer alone
#                          moves nothing); it gets 0 (serving) after two good answers in a row.
#                          keepalived tracks FILE.
# bash's /dev/tcp costs a fraction of the CPU of a curl process; on loopback a stopped HAProxy
# refuses at once, and one that accepts but does not answer fails the read timeout.

# ask HOST PORT PATH TIMEOUT: 0 if the answer's status line says 200, 2 if HAProxy answered
# something else, 1 if it did not answer in time (or refused).
ask() {
	local status
	{ exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$3" >&3
	IFS= read -r -t "$4" status <&3
	exec 3<&-
	[[ $status == "HTTP/1."[01]" 200 "* ]] && return 0
	[[ $status == "HTTP/1."* ]] && return 2
	return 1
}

if [ "${1:-}" != --watch ]; then
	ask 127.0.0.1 8404 /healthz 1.5 || exit 1
	exit 0
fi

file=${2:?usage: check-haproxy --watch FILE}
: "${NODE_ADDR:?NODE_ADDR is required}" "${PEER_PORT:=8480}"
# A pipe that never delivers: `read -t` on it sleeps without forking a `sleep` process.
exec {nap}<> <(:)
written=
streak=0
last=
while :; do
	ask "$NODE_ADDR" "$PEER_PORT" /actuator/health/readiness 0.4
	case $? in
	0) now=0 needed=2 ;;
	2) now=1 needed=1 ;;
	*) now=1 needed=2 ;;
	esac
	if [ "$now" = "$last" ]; then streak=$((streak + 1)); else streak=1; last=$now; fi
	if [ "$streak" -ge "$needed" ] && [ "$now" != "$written" ]; then
		printf '%s\n' "$now" >"$file.tmp" && mv -f "$file.tmp" "$file"
		written=$now
		printf '%s lb-watch[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "${NODE_NAME:-lb}" \
			"$([ "$now" = 0 ] && echo serving || echo 'cannot serve: VIP priority -50')"
	fi
	read -r -t 0.1 -u "$nap" _
done
