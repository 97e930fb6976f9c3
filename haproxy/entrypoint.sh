#!/bin/bash
# One load-balancer node: HAProxy and keepalived in one container, supervised by this script.
#
# Why one container and not a keepalived sidecar sharing HAProxy's network namespace:
#  - `docker kill` of the node takes both daemons and the namespace down together, so the VIP
#    disappears with the node and the peer takes it over after three missed adverts. With a
#    sidecar, killing the HAProxy container leaves keepalived running in a namespace that lost
#    its interfaces; when HAProxy's container restarts it gets a new namespace that keepalived
#    never joins again (`docker compose start` does not restart the sidecar), so the pair is
#    silently left without a standby.
#  - If either daemon dies alone, this script stops the other and exits, and the restart policy
#    brings back the whole node; a keepalived that died by SIGKILL would otherwise leave the
#    VIP on the interface (split brain), so the VIP is removed here first.
#  - On `docker stop` the order matters and only a supervisor can keep it: keepalived goes first
#    (it sends a priority-0 advert, the peer takes the VIP at once), then HAProxy soft-stops so
#    that requests already in flight are answered (bounded by hard-stop-after).
#
# Environment: NODE_NAME, NODE_ADDR (this node's address on the edge network), PEER_ADDR, VIP,
# PRIORITY (the same on both nodes), STATS_ADDR (ops port address), optional PEER_PORT (where
# the peer passes requests on, 8480), VRRP_INTERFACE, VRRP_ROUTER_ID; on Swarm EDGE_ADDRS,
# WEB_NET and OPS_NET instead of the addresses.
set -euo pipefail

# Any other command (`haproxy -c ...`, `keepalived -t ...`, a shell) runs as given.
if [ $# -gt 0 ] && [ "$1" != render ]; then
	exec "$@"
fi

log() { printf '%s lb-entrypoint[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "${NODE_NAME:-lb}" "$*"; }

# On Docker Swarm a task's addresses are not fixed. The edge network's IP range there holds
# two addresses only (EDGE_ADDRS), so a node is whichever it got, named by its place in the
# list, and the peer is the other; its own addresses on the web and operations networks are
# found by subnet (WEB_NET, OPS_NET). docs/swarm.md, "The edge".
own_addr_in() { ip -4 -o route show "$1" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1; }
if [ -z "${NODE_ADDR:-}" ] && [ -n "${EDGE_ADDRS:-}" ]; then
	mine=$(ip -o -4 addr show | awk '{ split($4, p, "/"); print p[1] }')
	i=0
	for addr in $EDGE_ADDRS; do
		i=$((i + 1))
		if grep -qxF "$addr" <<<"$mine"; then
			NODE_ADDR=$addr NODE_NAME=lb$i
		else
			PEER_ADDR=$addr PEER_NAME=lb$i
		fi
	done
	[ "$i" = 2 ] || { log "EDGE_ADDRS must name two addresses, not '$EDGE_ADDRS'"; exit 1; }
	[ -n "${NODE_ADDR:-}" ] || { log "none of EDGE_ADDRS ($EDGE_ADDRS) is this node's"; exit 1; }
	export PEER_NAME
fi
if [ -n "${WEB_NET:-}" ] && [ -z "${STATS_ADDR:-}" ]; then
	STATS_ADDR=$(own_addr_in "$WEB_NET")
	[ -n "$STATS_ADDR" ] || { log "no address on WEB_NET=$WEB_NET"; exit 1; }
	export STATS_ADDR
fi
if [ -n "${OPS_NET:-}" ] && [ -z "${OPS_ADDR:-}" ]; then
	OPS_ADDR=$(own_addr_in "$OPS_NET")
	[ -n "$OPS_ADDR" ] || { log "no address on OPS_NET=$OPS_NET"; exit 1; }
	export OPS_ADDR
fi

: "${NODE_NAME:=$(hostname)}"
: "${NODE_ADDR:?NODE_ADDR (this node on the edge network) is required}"
: "${PEER_ADDR:?PEER_ADDR (the other node on the edge network) is required}"
: "${VIP:?VIP is required}"
: "${PRIORITY:=100}"
: "${PEER_PORT:=8480}"
: "${VRRP_ROUTER_ID:=51}"
export NODE_NAME NODE_ADDR PEER_ADDR PEER_PORT

if [ -z "${VRRP_INTERFACE:-}" ]; then
	# Docker numbers interfaces in attach order, which Compose does not fix: find ours by address.
	VRRP_INTERFACE=$(ip -o -4 addr show | awk -v a="$NODE_ADDR" '{ split($4, p, "/"); if (p[1] == a) print $2 }')
	[ -n "$VRRP_INTERFACE" ] || { log "no interface carries NODE_ADDR=$NODE_ADDR"; exit 1; }
fi

# The notify script runs as keepalived_script; without CAP_CHOWN the directory is made
# writable for it instead (sticky, like /tmp).
mkdir -p /run/haproxy /run/keepalived
mkdir -p -m 1777 /run/keepalived-notify

sed -e "s|@NODE_NAME@|$NODE_NAME|g" -e "s|@NODE_ADDR@|$NODE_ADDR|g" -e "s|@PEER_ADDR@|$PEER_ADDR|g" \
	-e "s|@VIP@|$VIP|g" -e "s|@PRIORITY@|$PRIORITY|g" -e "s|@VRRP_ROUTER_ID@|$VRRP_ROUTER_ID|g" \
	-e "s|@VRRP_INTERFACE@|$VRRP_INTERFACE|g" \
	/etc/keepalived/keepalived.conf.template >/run/keepalived/keepalived.conf

# `render` only: print the rendered configuration (used by the configuration test).
if [ "${1:-}" = render ]; then
	cat /run/keepalived/keepalived.conf
	exit 0
fi

tail -n +1 -F /run/keepalived-notify/transitions.log 2>/dev/null &
tail_pid=$!

# HAProxy's standard output (its request log, a line per request) leaves in batches, a write
# a second (docs/design.md, "The load balancers' request log in batches").
rm -f /run/haproxy/log && mkfifo -m 600 /run/haproxy/log
log-batcher </run/haproxy/log &
batcher_pid=$!
# After HAProxy has gone, its last lines are written before the container ends.
flush_log() {
	for _ in $(seq 1 20); do
		kill -0 "$batcher_pid" 2>/dev/null || return 0
		sleep 0.1
	done
}
trap flush_log EXIT

# A higher CPU share than the JVMs it fronts (CAP_SYS_NICE): on a shared host the load
# balancer is the cheapest process and the one every request waits for.
nice -n -10 haproxy -W -db -f /etc/haproxy/haproxy.cfg >/run/haproxy/log &
haproxy_pid=$!

# Take part in the VRRP election only once HAProxy answers: a node that cannot serve must not
# win the VIP.
for _ in $(seq 1 50); do
	curl -fsS -o /dev/null --max-time 0.5 http://127.0.0.1:8404/healthz && break
	kill -0 "$haproxy_pid" 2>/dev/null || { log "haproxy exited during start"; exit 1; }
	sleep 0.1
done

# VRRP from the peer alone, filtered before keepalived reads it: keepalived drops a stranger's
# advert itself (check_unicast_src), but a stream of them keeps a master from sending its own
# (docs/design.md, "Only the peer speaks VRRP").
nft -f - <<EOF || { log "cannot load the VRRP filter (nft)"; exit 1; }
table ip vrrp_from_peer {
	chain input {
		type filter hook input priority filter; policy accept;
		ip protocol 112 ip saddr != $PEER_ADDR drop
	}
}
EOF

# Whether this node can serve and whether it has held the VIP a while, for keepalived's track
# files (see check-haproxy); keepalived tells its state changes through the FIFO (made here,
# so that the watcher reads it from keepalived's first line).
rm -f /run/keepalived/vrrp-events && mkfifo -m 600 /run/keepalived/vrrp-events
check-haproxy --watch /run/keepalived/not-serving /run/keepalived/vrrp-events /run/keepalived/holding &
watch_pid=$!
keepalived --dont-fork --log-console --vrrp --use-file /run/keepalived/keepalived.conf \
	--pid /run/keepalived/keepalived.pid --vrrp_pid /run/keepalived/vrrp.pid &
keepalived_pid=$!
log "started haproxy ($haproxy_pid), keepalived ($keepalived_pid) and the watcher ($watch_pid) on $VRRP_INTERFACE ($NODE_ADDR, peer $PEER_ADDR, VIP $VIP, priority $PRIORITY)"

release_vip() {
	ip addr del "$VIP/32" dev "$VRRP_INTERFACE" 2>/dev/null && log "removed VIP $VIP from $VRRP_INTERFACE" || true
}

stop_keepalived() {
	if kill -0 "$keepalived_pid" 2>/dev/null; then
		kill -TERM "$keepalived_pid" 2>/dev/null || true
		wait "$keepalived_pid" 2>/dev/null || true
	fi
	release_vip
}

stop_haproxy() {
	if kill -0 "$haproxy_pid" 2>/dev/null; then
		# Soft stop: listeners close, requests in flight finish (hard-stop-after bounds it).
		kill -USR1 "$haproxy_pid" 2>/dev/null || true
		wait "$haproxy_pid" 2>/dev/null || true
	fi
}

stopping=false
trap 'stopping=true' TERM INT

set +e
while :; do
	wait -n "$haproxy_pid" "$keepalived_pid" "$watch_pid"
	if [ "$stopping" = true ]; then
		log "stopping: VIP to the peer first, then HAProxy drains"
		kill "$watch_pid" 2>/dev/null
		stop_keepalived
		stop_haproxy
		kill "$tail_pid" 2>/dev/null
		log "stopped"
		exit 0
	fi
	if ! kill -0 "$haproxy_pid" 2>/dev/null; then
		log "haproxy exited; stopping keepalived so the peer takes the VIP"
		kill "$watch_pid" 2>/dev/null
		stop_keepalived
		exit 1
	fi
	if ! kill -0 "$watch_pid" 2>/dev/null; then
		log "the watcher exited; the VIP goes to the peer and the node restarts"
		stop_keepalived
		stop_haproxy
		exit 1
	fi
	if ! kill -0 "$keepalived_pid" 2>/dev/null; then
		log "keepalived exited; releasing the VIP and stopping haproxy"
		kill "$watch_pid" 2>/dev/null
		release_vip
		stop_haproxy
		exit 1
	fi
done
