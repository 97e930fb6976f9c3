#!/bin/bash
# The local HAProxy's health over HTTP, in two forms:
#   check-haproxy          alive: its monitor URI answers 200 (Docker's health check);
#   check-haproxy --watch NOT_SERVING EVENTS HOLDING
#                          the two files keepalived tracks for this node's VIP priority:
#                          NOT_SERVING, whether it can serve: HAProxy answers within 0.4 s and
#                          sees at least one web node UP (the peer_in frontend's readiness).
#                          Checked every 0.1 s; the file gets 1 (not serving) as soon as
#                          HAProxy itself answers that no web node is UP (its checks already
#                          waited for three failures), or after two checks in a row without an
#                          answer (a slow answer alone moves nothing); it gets 0 (serving)
#                          after two good answers in a row.
#                          HOLDING, whether this node has held the VIP a while: 1 once
#                          keepalived has been MASTER for HOLD_AFTER_MS (2000), 0 in the first
#                          round that learns it is not. EVENTS is keepalived's notify FIFO,
#                          which has its state changes in order, read after each check.
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

not_serving=${2:?usage: check-haproxy --watch NOT_SERVING EVENTS HOLDING}
events=${3:?usage: check-haproxy --watch NOT_SERVING EVENTS HOLDING}
holding=${4:?usage: check-haproxy --watch NOT_SERVING EVENTS HOLDING}
: "${NODE_ADDR:?NODE_ADDR is required}" "${PEER_PORT:=8480}"
hold_after_cs=$((10#${HOLD_AFTER_MS:-2000} / 10))
# Read and written: the FIFO never lacks a reader, and reading it never meets its end.
exec {vrrp}<>"$events"
# A pipe that never delivers: `read -t` on it sleeps without forking a `sleep` process.
exec {nap}<> <(:)

log() { printf '%s lb-watch[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "${NODE_NAME:-lb}" "$*"; }
# put FILE VALUE: atomically, for keepalived's inotify.
put() { printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"; }
# The kernel's monotonic clock in hundredths of a second, without a fork (a step of the wall
# clock moves nothing here).
uptime_cs() {
	local up _
	read -r up _ </proc/uptime
	now=$((10#${up/./}))
}

written=
streak=0
last=
state=
master_since=0
held=
while :; do
	ask "$NODE_ADDR" "$PEER_PORT" /actuator/health/readiness 0.4
	case $? in
	0) now_serving=0 needed=2 ;;
	2) now_serving=1 needed=1 ;;
	*) now_serving=1 needed=2 ;;
	esac
	if [ "$now_serving" = "$last" ]; then streak=$((streak + 1)); else streak=1; last=$now_serving; fi
	if [ "$streak" -ge "$needed" ] && [ "$now_serving" != "$written" ]; then
		put "$not_serving" "$now_serving"
		written=$now_serving
		log "$([ "$now_serving" = 0 ] && echo serving || echo 'cannot serve: VIP priority -50')"
	fi
	# Every line keepalived wrote since the last round, in order (INSTANCE "edge" MASTER 100). It
	# writes each line whole, so a line that has begun has arrived: read without a timeout, which
	# could end a read halfway and lose the line. A master also reports each lower-priority
	# advert it answers (MASTER_RX_LOWER_PRI): no change of state.
	uptime_cs
	while read -r -t 0 -u "$vrrp"; do
		read -r -u "$vrrp" kind _ new_state _
		[ "$kind" = INSTANCE ] || continue
		case $new_state in
		MASTER) [ "$state" = MASTER ] || master_since=$now ;;
		BACKUP | FAULT | STOP | DELETED) ;;
		*) continue ;;
		esac
		state=$new_state
	done
	hold=0
	if [ "$state" = MASTER ] && [ $((now - master_since)) -ge "$hold_after_cs" ]; then hold=1; fi
	if [ "$hold" != "$held" ]; then
		put "$holding" "$hold"
		held=$hold
		log "$([ "$hold" = 1 ] && echo "holding the VIP for $((hold_after_cs * 10)) ms: VIP priority +10" || echo 'not holding the VIP')"
	fi
	read -r -t 0.1 -u "$nap" _
done
