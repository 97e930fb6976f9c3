#!/usr/bin/env bash
# Another Swarm host on this machine: a Docker engine in a network namespace of its own,
# plugged into a bridge on this host (the hosts' LAN) and joined to this engine's swarm, as a
# worker or as a manager. Tasks placed on it reach the others over the stack's overlay
# networks, as on another machine. There is no registry here, so the images its tasks need
# are copied into it.
#
#   scripts/swarm-host.sh link          make the namespace and plug it into the LAN (made
#                                       with this host's address on it, <net>.1, if absent);
#                                       `swarm.sh up` then advertises the swarm it makes on
#                                       the LAN (TIERSTACK_SWARM_ADDR=<net>.1)
#   scripts/swarm-host.sh add [--manager] [--drain] [IMAGE...]
#                                       start its engine, copy the IMAGEs in, join the swarm
#                                       (as a manager; taking no tasks)
#   scripts/swarm-host.sh lose          take its end of the link down: the host is lost
#   scripts/swarm-host.sh node          the host's node ID in the swarm
#   scripts/swarm-host.sh engine ARG... run the docker client against its engine
#   scripts/swarm-host.sh engine-log    the last 200 lines its engine logged
#   scripts/swarm-host.sh remove        remove its containers, stop its engine, remove the
#                                       node from the swarm (demoted first), the namespace,
#                                       the link, and the LAN once no host is plugged in
#
# Settings: TIERSTACK_SWARM_HOST (its name: namespace, link, state directory; tshost2; the
# number it ends in, 2-254, is its address on the LAN), TIERSTACK_SWARM_HOST_NET (the LAN's
# /24 as three octets, 10.250.0), TIERSTACK_STATE_DIR (where its engine keeps its files,
# under NAME/: /var/lib/tierstack). Run as root (namespaces, links, an engine).
# docs/swarm.md explains what it proves.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${TIERSTACK_SWARM_HOST:-tshost2}
NET=${TIERSTACK_SWARM_HOST_NET:-10.250.0}
STATE=${TIERSTACK_STATE_DIR:-/var/lib/tierstack}/$NAME
SOCK=$STATE/docker.sock
HOST_IF=$NAME-h
PEER_IF=$NAME-p
LAN=tshosts

log() { printf '[swarm-host] %s\n' "$*"; }
die() { printf '[swarm-host] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $NAME =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "TIERSTACK_SWARM_HOST must be a short lower-case name (up to 10), not '$NAME'"
[[ $NET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "TIERSTACK_SWARM_HOST_NET must be three octets such as 10.250.0, not '$NET'"
[[ $NAME =~ ([0-9]+)$ ]] && ((10#${BASH_REMATCH[1]} >= 2 && 10#${BASH_REMATCH[1]} <= 254)) ||
	die "TIERSTACK_SWARM_HOST must end in its address on the LAN, a number from 2 to 254, not '$NAME'"
ADDR=$NET.$((10#${BASH_REMATCH[1]}))
[ "$(id -u)" -eq 0 ] || die "run as root: it makes a network namespace and starts an engine"

engine() { docker -H "unix://$SOCK" "$@"; }
in_ns() { nsenter --net="/run/netns/$NAME" "$@"; }

link() {
	if ! ip link show "$LAN" >/dev/null 2>&1; then
		ip link add "$LAN" type bridge
		ip addr add "$NET.1/24" dev "$LAN"
		ip link set "$LAN" up
	fi
	ip -o -4 addr show dev "$LAN" | grep -q " $NET.1/" || die "$LAN is not the LAN $NET.0/24"
	if [ -e "/run/netns/$NAME" ]; then
		if in_ns ip -o -4 addr show dev "$PEER_IF" 2>/dev/null | grep -q " $ADDR/" &&
			ip -o link show "$HOST_IF" 2>/dev/null | grep -q " master $LAN "; then
			log "$NAME plugged in already"
			return
		fi
		remove
		link
		return
	fi
	ip netns add "$NAME"
	ip link add "$HOST_IF" type veth peer name "$PEER_IF"
	ip link set "$PEER_IF" netns "$NAME"
	ip link set "$HOST_IF" master "$LAN" up
	in_ns ip addr add "$ADDR/24" dev "$PEER_IF"
	in_ns ip link set "$PEER_IF" up
	in_ns ip link set lo up
	log "namespace $NAME plugged into $LAN: this host $NET.1, it $ADDR"
}

# The engine enters the namespace's network only (nsenter, not `ip netns exec`, which would
# also hide the host's cgroup mounts from it), in a session of its own; its files, its
# containerd and an empty configuration are its own.
start_engine() {
	[ -e "/run/netns/$NAME" ] || die "no namespace $NAME (scripts/swarm-host.sh link)"
	engine info >/dev/null 2>&1 && return
	mkdir -p "$STATE"
	echo '{}' >"$STATE/daemon.json"
	log "starting its engine (no iptables, no ip forwarding, as this host's)"
	setsid nsenter --net="/run/netns/$NAME" dockerd --config-file "$STATE/daemon.json" \
		--iptables=false --ip-forward=false --data-root "$STATE/data" --exec-root "$STATE/exec" \
		--pidfile "$STATE/dockerd.pid" --containerd-namespace "$NAME" \
		--containerd-plugins-namespace "$NAME-plugins" -H "unix://$SOCK" \
		>"$STATE/dockerd.log" 2>&1 </dev/null &
	for _ in $(seq 1 60); do
		engine info >/dev/null 2>&1 && return
		sleep 0.5
	done
	stop_engine
	die "its engine did not start; see $STATE/dockerd.log"
}

# stop PIDFILE: the process it names, if it is one of this host's (its command line names the
# state directory): TERM, then KILL after 20 s.
stop() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	grep -qF "$STATE/" "/proc/$pid/cmdline" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
	kill -KILL "$pid" 2>/dev/null || true
}

stop_engine() {
	stop "$STATE/dockerd.pid"
	stop "$STATE/exec/containerd/containerd.pid"
}

add() {
	local role=worker availability=active manager
	while [ $# -gt 0 ]; do
		case $1 in
		--manager) role=manager ;;
		--drain) availability=drain ;;
		*) break ;;
		esac
		shift
	done
	[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || die "this engine is no swarm manager"
	manager=$(docker info --format '{{.Swarm.NodeAddr}}')
	[ "$manager" = "$NET.1" ] || die "the swarm is advertised on $manager, which $NAME cannot reach; make it with TIERSTACK_SWARM_ADDR=$NET.1 after 'link'"
	start_engine
	# The images first: a node that has joined takes tasks, and has no registry to pull from.
	if [ $# -gt 0 ]; then
		log "copying $# image(s) into it"
		docker save "$@" | engine load -q >/dev/null
	fi
	case $(engine info --format '{{.Swarm.LocalNodeState}}') in
	active) ;;
	inactive) ;;
	*) engine swarm leave --force >/dev/null 2>&1 || true ;;
	esac
	if [ "$(engine info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
		engine swarm join --token "$(docker swarm join-token -q "$role")" --availability "$availability" \
			--advertise-addr "$ADDR" --listen-addr "$ADDR:2377" "$manager:2377" >/dev/null
	fi
	node_id >"$STATE/node-id"
	log "joined as node $(cat "$STATE/node-id") ($role, $availability)"
}

node_id() { engine info --format '{{.Swarm.NodeID}}'; }

# Whether the swarm counts the node among its managers (in its Raft group).
is_manager() { [ -n "$(docker node inspect -f '{{if .ManagerStatus}}manager{{end}}' "$1" 2>/dev/null)" ]; }

lose() {
	in_ns ip link set "$PEER_IF" down
	log "its link is down"
}

remove() {
	local containers node
	node=$(engine info --format '{{.Swarm.NodeID}}' 2>/dev/null) || node=
	if [ -z "$node" ] && [ -s "$STATE/node-id" ]; then node=$(cat "$STATE/node-id"); fi
	# A manager is demoted first, while it is up: one that leaves stays in the swarm's Raft
	# group as unreachable, and two of three gone is no majority. One lost is demoted the
	# same way, while the others hold a majority without it.
	if [ -n "$node" ] && is_manager "$node"; then
		docker node demote "$node" >/dev/null 2>&1 || true
		for _ in $(seq 1 20); do
			is_manager "$node" || break
			sleep 0.5
		done
		! is_manager "$node" || die "node $node is still a manager: removing its host would leave the swarm one unreachable manager more; demote it (docker node demote $node) and remove again"
	fi
	# Its containers, then its engine; the swarm forgets the node (it need not leave: its
	# state goes with it).
	if engine info >/dev/null 2>&1; then
		containers=$(engine ps -aq 2>/dev/null) || containers=
		# shellcheck disable=SC2086 # one argument per container
		[ -z "$containers" ] || engine rm -f $containers >/dev/null 2>&1 || true
	fi
	stop_engine
	[ -z "$node" ] || docker node rm --force "$node" >/dev/null 2>&1 || true
	[ -e "/run/netns/$NAME" ] && ip netns del "$NAME"
	ip link del "$HOST_IF" 2>/dev/null || true
	if [ -d "/sys/class/net/$LAN/brif" ] && [ -z "$(ls "/sys/class/net/$LAN/brif")" ]; then
		ip link del "$LAN" || true
	fi
	# The namespaces of its overlays, which an engine cut off from the swarm leaves mounted.
	awk -v dir="$STATE/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l || true
	rm -rf --one-file-system "$STATE" || log "warning: left what could not be removed in $STATE"
	log "removed"
}

case ${1:-} in
link) link ;;
add) shift; add "$@" ;;
lose) lose ;;
node) node_id ;;
engine) shift; engine "$@" ;;
engine-log) tail -n 200 "$STATE/dockerd.log" 2>/dev/null || true ;;
remove) remove ;;
*) usage ;;
esac
