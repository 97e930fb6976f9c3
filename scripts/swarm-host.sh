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
#   scripts/swarm-host.sh remove        remove its containers, stop its engine, remove the
#                                       node from the swarm, the namespace and the link
#
# Settings: TIERSTACK_SWARM_HOST (its name: namespace, files under /run, 'tshost2'),
# TIERSTACK_SWARM_HOST_NET (the link's /24 as three octets, 10.250.0: this host .1, it .2).
# Run as root (namespaces, links, an engine). docs/swarm.md explains what it proves.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${TIERSTACK_SWARM_HOST:-tshost2}
NET=${TIERSTACK_SWARM_HOST_NET:-10.250.0}
STATE=/run/tierstack-$NAME
SOCK=$STATE/docker.sock
HOST_IF=$NAME-h
PEER_IF=$NAME-p

log() { printf '[swarm-host] %s\n' "$*"; }
die() { printf '[swarm-host] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $NAME =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "TIERSTACK_SWARM_HOST must be a short lower-case name (up to 10), not '$NAME'"
[[ $NET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "TIERSTACK_SWARM_HOST_NET must be three octets such as 10.250.0, not '$NET'"
[ "$(id -u)" -eq 0 ] || die "run as root: it makes a network namespace and starts an engine"

engine() { docker -H "unix://$SOCK" "$@"; }
in_ns() { nsenter --net="/run/netns/$NAME" "$@"; }

link() {
	[ -e "/run/netns/$NAME" ] && { log "namespace $NAME exists"; return; }
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
# also hide the host's cgroup mounts from it); its files stay under $STATE.
start_engine() {
	[ -e "/run/netns/$NAME" ] || die "no namespace $NAME (scripts/swarm-host.sh link)"
	engine info >/dev/null 2>&1 && return
	mkdir -p "$STATE"
	log "starting its engine (no iptables, no ip forwarding, as this host's)"
	in_ns dockerd --iptables=false --ip-forward=false --data-root "$STATE/data" --exec-root "$STATE/exec" \
		--pidfile "$STATE/dockerd.pid" -H "unix://$SOCK" >"$STATE/dockerd.log" 2>&1 &
	for _ in $(seq 1 60); do
		engine info >/dev/null 2>&1 && return
		sleep 0.5
	done
	die "its engine did not start; see $STATE/dockerd.log"
}

add() {
	[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || die "this engine is no swarm manager"
	local manager
	manager=$(docker info --format '{{.Swarm.NodeAddr}}')
	[ "$manager" = "$NET.1" ] || die "the swarm is advertised on $manager, which $NAME cannot reach; make it with TIERSTACK_SWARM_ADDR=$NET.1 after 'link'"
	start_engine
	if [ "$(engine info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
		engine swarm join --token "$(docker swarm join-token -q worker)" --advertise-addr "$NET.2" \
			--listen-addr "$NET.2:2377" "$manager:2377" >/dev/null
	fi
	if [ $# -gt 0 ]; then
		log "copying $# image(s) into it"
		docker save "$@" | engine load -q >/dev/null
	fi
	log "joined as node $(node_id)"
}

node_id() { engine info --format '{{.Swarm.NodeID}}'; }

lose() {
	in_ns ip link set "$PEER_IF" down
	log "its link is down"
}

remove() {
	local id="" pid containers
	if engine info >/dev/null 2>&1; then
		id=$(node_id)
		containers=$(engine ps -aq)
		# shellcheck disable=SC2086 # one argument per container
		[ -z "$containers" ] || engine rm -f $containers >/dev/null
		engine swarm leave --force >/dev/null 2>&1 || true
		pid=$(cat "$STATE/dockerd.pid")
		kill "$pid"
		for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	fi
	[ -n "$id" ] && docker node rm --force "$id" >/dev/null 2>&1 || true
	[ -e "/run/netns/$NAME" ] && ip netns del "$NAME"
	ip link del "$HOST_IF" 2>/dev/null || true
	# The namespaces of its overlays, which an engine cut off from the swarm leaves mounted.
	awk -v dir="$STATE/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | xargs -r umount
	rm -rf "$STATE"
	log "removed"
}

case ${1:-} in
link) link ;;
add) shift; add "$@" ;;
lose) lose ;;
node) node_id ;;
engine) shift; engine "$@" ;;
remove) remove ;;
*) usage ;;
esac
