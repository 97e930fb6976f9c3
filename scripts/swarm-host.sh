#!/usr/bin/env bash
# A second Swarm host on this machine: a Docker engine in a network namespace of its own,
# linked to this host by a veth pair and joined to this engine's swarm as a worker. Tasks
# placed on it reach the others over the stack's overlay networks, as on a second machine.
# There is no registry here, so the images its tasks need are copied into it.
#
#   scripts/swarm-host.sh link          make the namespace and its link; `swarm.sh up` then
#                                       advertises the swarm it makes on the link
#                                       (TIERSTACK_SWARM_ADDR=<prefix>.1)
#   scripts/swarm-host.sh add IMAGE...  start its engine, join the swarm, copy the IMAGEs in
#   scripts/swarm-host.sh lose          take its end of the link down: the host is lost
#   scripts/swarm-host.sh node          the host's node ID in the swarm
#   scripts/swarm-host.sh engine ARG... run the docker client against its engine
#   scripts/swarm-host.sh engine-log    the last 200 lines its engine logged
#   scripts/swarm-host.sh remove        remove its containers, stop its engine, remove the
#                                       node from the swarm, the namespace and the link
#
# Settings: TIERSTACK_SWARM_HOST (its name: namespace, link, state directory; tshost2),
# TIERSTACK_SWARM_HOST_NET (the link's /24 as three octets, 10.250.0: this host .1, it .2),
# TIERSTACK_STATE_DIR (where its engine keeps its files, under NAME/: /var/lib/tierstack).
# Run as root (namespaces, links, an engine). docs/swarm.md explains what it proves.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${TIERSTACK_SWARM_HOST:-tshost2}
NET=${TIERSTACK_SWARM_HOST_NET:-10.250.0}
STATE=${TIERSTACK_STATE_DIR:-/var/lib/tierstack}/$NAME
SOCK=$STATE/docker.sock
HOST_IF=$NAME-h
PEER_IF=$NAME-p

log() { printf '[swarm-host] %s\n' "$*"; }
die() { printf '[swarm-host] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $NAME =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "TIERSTACK_SWARM_HOST must be a short lower-case name (up to 10), not '$NAME'"
[[ $NET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "TIERSTACK_SWARM_HOST_NET must be three octets such as 10.250.0, not '$NET'"
[ "$(id -u)" -eq 0 ] || die "run as root: it makes a network namespace and starts an engine"

engine() { docker -H "unix://$SOCK" "$@"; }
in_ns() { nsenter --net="/run/netns/$NAME" "$@"; }

link() {
	if [ -e "/run/netns/$NAME" ]; then
		ip -o -4 addr show dev "$HOST_IF" 2>/dev/null | grep -q " $NET.1/" && { log "namespace $NAME linked already"; return; }
		remove
	fi
	ip netns add "$NAME"
	ip link add "$HOST_IF" type veth peer name "$PEER_IF"
	ip link set "$PEER_IF" netns "$NAME"
	ip addr add "$NET.1/24" dev "$HOST_IF"
	ip link set "$HOST_IF" up
	in_ns ip addr add "$NET.2/24" dev "$PEER_IF"
	in_ns ip link set "$PEER_IF" up
	in_ns ip link set lo up
	log "namespace $NAME linked: this host $NET.1, it $NET.2"
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
	[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || die "this engine is no swarm manager"
	local manager
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
		engine swarm join --token "$(docker swarm join-token -q worker)" --advertise-addr "$NET.2" \
			--listen-addr "$NET.2:2377" "$manager:2377" >/dev/null
	fi
	node_id >"$STATE/node-id"
	log "joined as node $(cat "$STATE/node-id")"
}

node_id() { engine info --format '{{.Swarm.NodeID}}'; }

lose() {
	in_ns ip link set "$PEER_IF" down
	log "its link is down"
}

remove() {
	local containers
	if engine info >/dev/null 2>&1; then
		containers=$(engine ps -aq)
		# shellcheck disable=SC2086 # one argument per container
		[ -z "$containers" ] || engine rm -f $containers >/dev/null 2>&1 || true
		engine swarm leave --force >/dev/null 2>&1 || true
	fi
	stop_engine
	if [ -s "$STATE/node-id" ]; then
		docker node rm --force "$(cat "$STATE/node-id")" >/dev/null 2>&1 || true
	fi
	[ -e "/run/netns/$NAME" ] && ip netns del "$NAME"
	ip link del "$HOST_IF" 2>/dev/null || true
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
