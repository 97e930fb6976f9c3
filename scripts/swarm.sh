#!/usr/bin/env bash
# tierstack on Docker Swarm (swarm/stack.yml): zero-downtime deploys, and the way to more hosts.
#
#   scripts/swarm.sh up                deploy the stack from local images (built if absent; a
#                                      one-node swarm is made if this engine is in none),
#                                      wait until the VIP serves over HTTPS, and warm it up
#   scripts/swarm.sh build VERSION     build tierstack/web:VERSION and tierstack/app:VERSION
#   scripts/swarm.sh deploy VERSION    roll web and app to VERSION, one task at a time, the new
#                                      task first; Swarm rolls back a version that fails
#   scripts/swarm.sh rollback          web and app back to the version before the last deploy
#                                      (the schema stays: migrations only add)
#   scripts/swarm.sh status            the services, their tasks and versions
#   scripts/swarm.sh down              remove the stack, its volumes and the edge network, and
#                                      leave the swarm if `up` made it
#
# Settings: TIERSTACK_STACK (stack name, tierstack), TIERSTACK_NET_PREFIX (two octets, 10.203),
# TIERSTACK_VERSION (web and app image tag for `up`, latest), TIERSTACK_SWARM_WAIT (seconds
# `up` and `deploy` wait, 600), TIERSTACK_SWARM_WARM_UP_WORKERS, _ROUNDS, _P90_MS and _MAX (the
# warm-up after `up`: 4 clients, 20 rounds of 7 kinds of page each, then on until the p90
# answer of 5 rounds is within 250 ms, starting none after 90 s), TIERSTACK_SWARM_ADDR (the
# address a swarm that `up` makes is advertised on: 127.0.0.1, this host alone;
# scripts/swarm-host.sh's link for a second host). docs/swarm.md explains the design.
set -euo pipefail
cd "$(dirname "$0")/.."

STACK=${TIERSTACK_STACK:-tierstack}
PREFIX=${TIERSTACK_NET_PREFIX:-10.203}
EDGE=${TIERSTACK_SWARM_EDGE:-$STACK-edge}
WAIT=${TIERSTACK_SWARM_WAIT:-600}
WARM_UP_WORKERS=${TIERSTACK_SWARM_WARM_UP_WORKERS:-4}
WARM_UP_ROUNDS=${TIERSTACK_SWARM_WARM_UP_ROUNDS:-20}
WARM_UP_MAX=${TIERSTACK_SWARM_WARM_UP_MAX:-90}
WARM_UP_P90_MS=${TIERSTACK_SWARM_WARM_UP_P90_MS:-250}
RATE_LIMIT=${TIERSTACK_RATE_LIMIT_PER_SEC:-100}
ADDR=${TIERSTACK_SWARM_ADDR:-127.0.0.1}
VIP=$PREFIX.1.10
# Marks a swarm that `up` made, so that `down` leaves only that one.
MADE_LABEL=dev.tierstack.swarm-made-by
PREVIOUS_LABEL=dev.tierstack.previous-image

log() { printf '[swarm] %s\n' "$*"; }
die() { printf '[swarm] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $PREFIX =~ ^[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "TIERSTACK_NET_PREFIX must be two octets such as 10.203, not '$PREFIX'"
[[ $STACK =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "TIERSTACK_STACK must be a lower-case name, not '$STACK'"
for setting in WAIT WARM_UP_WORKERS WARM_UP_ROUNDS WARM_UP_MAX WARM_UP_P90_MS; do
	[[ ${!setting} =~ ^(0|[1-9][0-9]{0,5})$ ]] || die "TIERSTACK_SWARM_$setting must be a whole number, not '${!setting}'"
done
((WARM_UP_WORKERS > 0)) || die "TIERSTACK_SWARM_WARM_UP_WORKERS must be 1 or more"
docker info >/dev/null 2>&1 || die "no Docker engine answers (scripts/prepare-host.sh starts one)"

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}'; }

valid_version() {
	[[ ${1:-} =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "a version is an image tag such as v2, not '${1:-}'"
}

images_exist() {
	local image
	for image in "$@"; do
		docker image inspect "$image" >/dev/null 2>&1 || die "no image $image here (scripts/swarm.sh build ${image##*:})"
	done
}

# compose_build TAG SERVICE...: the tier jars, then the images docker-compose.yml describes.
compose_build() {
	local tag=$1 compose
	shift
	export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
	./mvnw -q -B -DskipTests package
	if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
	TIERSTACK_IMAGE_TAG=$tag "${compose[@]}" build -q "$@"
}

ensure_swarm() {
	case $(swarm_state) in
	active) ;;
	inactive)
		log "making a one-node swarm (advertised on $ADDR)"
		docker swarm init --advertise-addr "$ADDR" >/dev/null
		docker node update --label-add "$MADE_LABEL=$STACK" "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null
		;;
	*) die "this engine's swarm is $(swarm_state); fix or leave it first" ;;
	esac
	[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || die "this node is not a swarm manager"
}

# The edge: a bridge of swarm scope, which the host reaches directly (the VIP), with an IP range
# (.8/29) whose only free addresses are the two load balancers' (.11 and .12): the rest of it,
# the VIP among them, is reserved.
ensure_edge() {
	docker network inspect "$EDGE" >/dev/null 2>&1 && return
	log "creating the edge network $EDGE ($PREFIX.1.0/24, VIP $VIP)"
	docker network create --config-only --subnet "$PREFIX.1.0/24" --gateway "$PREFIX.1.1" \
		--ip-range "$PREFIX.1.8/29" --aux-address "r8=$PREFIX.1.8" --aux-address "r9=$PREFIX.1.9" \
		--aux-address "vip=$VIP" --aux-address "r13=$PREFIX.1.13" --aux-address "r14=$PREFIX.1.14" \
		--aux-address "r15=$PREFIX.1.15" "$EDGE-config" >/dev/null
	docker network create --driver bridge --scope swarm --config-from "$EDGE-config" "$EDGE" >/dev/null
}

stack_deploy() {
	TIERSTACK_NET_PREFIX=$PREFIX TIERSTACK_SWARM_EDGE=$EDGE \
		docker stack deploy --resolve-image never --prune -c swarm/stack.yml "$STACK" >/dev/null
}

# Waits until every task of every service runs (healthy, where it has a check) and the VIP
# answers the API over HTTPS (trusting the local CA only).
wait_serving() {
	local deadline=$((SECONDS + WAIT)) code pending
	while :; do
		# Replicated services as running/desired; a job shows "0/1 (1/1 completed)".
		pending=$(docker stack services "$STACK" --format '{{.Name}} {{.Replicas}}' |
			awk '$0 !~ /completed/ { split($2, r, "/"); if (r[1] != r[2]) print $1 }')
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert secrets/tls/ca.crt \
			"https://$VIP/api/books?size=1" || true)
		[ -z "$pending" ] && [ "$code" = 200 ] && { log "serving at https://$VIP/ after ${SECONDS}s"; return; }
		[ "$SECONDS" -lt "$deadline" ] || { status >&2; die "not serving within ${WAIT}s (VIP: $code; not yet running: ${pending:-none})"; }
		sleep 2
	done
}

# The JVMs of a stack deployed from nothing are cold: handed the full load at once, each web
# node takes as many requests as HAProxy allows it (WEB_MAXCONN), serves them all slowly, and
# the rest time out in HAProxy's queue (docs/swarm.md, "From nothing to serving"). So before
# `up` returns, WARM_UP_WORKERS clients with one connection each ask every kind of page, in
# passes of 5 rounds (a closed loop: never more at once than they are, and together at most 80 %
# of the load balancers' limit per client address), which also checks that each kind answers.
# They do WARM_UP_ROUNDS rounds, then go on until a pass is warm (every answer 200, 9 in 10
# within WARM_UP_P90_MS), starting no pass after WARM_UP_MAX seconds: how fast JIT compilers
# warm depends on what else the host is doing.
warm_up() {
	local started=$SECONDS isbns round=0 pass failed=none p90=none p90s="" total=0 warm=no
	local rate=$((RATE_LIMIT * 8 / 10 / WARM_UP_WORKERS))
	((rate > 0)) || rate=1
	isbns=$(curl -s --max-time 10 --cacert secrets/tls/ca.crt "https://$VIP/api/books?size=20" |
		grep -o '"isbn":"[0-9]*"' | cut -d'"' -f4 || true)
	[ -n "$isbns" ] || die "warm-up: no book in https://$VIP/api/books"
	while [ "$warm" = no ] && { ((round < WARM_UP_ROUNDS)) || ((SECONDS - started < WARM_UP_MAX)); }; do
		pass=$(warm_up_pass "$round" "$isbns" "$rate")
		round=$((round + 5))
		total=$((total + $(wc -l <<<"$pass")))
		failed=$(awk '$1 != 200 { n++ } END { print n + 0 }' <<<"$pass")
		p90=$(awk '{ print int($2 * 1000) }' <<<"$pass" | sort -n | awk '{ t[NR] = $1 } END { print t[int(NR * 0.9)] }')
		p90s="$p90s $p90"
		((round < WARM_UP_ROUNDS)) || [ "$failed" != 0 ] || ((p90 > WARM_UP_P90_MS)) || warm=yes
	done
	log "warmed up: $total requests in $round rounds, the last 5 rounds $failed not 200; p90 by 5 rounds:$p90s ms; in $((SECONDS - started))s"
	[ "$warm" = yes ] || log "warning: not warm within ${WARM_UP_MAX}s; the first seconds of full load may fail"
}

# warm_up_pass FIRST_ROUND ISBNS RATE: 5 rounds of every kind of page from each worker; prints
# each answer's status and time in seconds.
warm_up_pass() {
	local round isbn url urls=() worker
	for round in $(seq "$1" $(($1 + 4))); do
		isbn=$(sed -n "$((round % $(wc -l <<<"$2") + 1))p" <<<"$2")
		for url in "/" "/?page=$((round % 5 + 2))" "/books/$isbn" "/?q=${isbn: -3}" \
			"/api/books?size=5&page=$((round % 5))" "/api/books?q=${isbn: -4}&size=5" "/api/books/$isbn"; do
			urls+=(-o /dev/null "https://$VIP$url")
		done
	done
	for worker in $(seq 1 "$WARM_UP_WORKERS"); do
		curl -s --cacert secrets/tls/ca.crt --max-time 10 --rate "$3/s" -w '%{http_code} %{time_total}\n' "${urls[@]}" &
	done
	wait
}

status() {
	docker stack services "$STACK" --format '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}}'
	docker service inspect --format '{{.Spec.Name}} update: {{if .UpdateStatus}}{{.UpdateStatus.State}} {{.UpdateStatus.Message}}{{else}}none{{end}}' \
		"${STACK}_web" "${STACK}_app" 2>/dev/null || true
}

# settled SERVICE: waits until Swarm has finished the service's update or rollback (the CLI
# returns when the tasks run; an update completes only after its last task's `monitor`), then
# prints how it ended: completed, rollback_completed, paused, ...
settled() {
	local state deadline=$((SECONDS + WAIT))
	while :; do
		state=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$1")
		case $state in
		updating | rollback_started) ;;
		*)
			echo "${state:-completed}"
			return
			;;
		esac
		[ "$SECONDS" -lt "$deadline" ] || { echo "$state after ${WAIT}s"; return; }
		sleep 1
	done
}

# update SERVICE IMAGE: one task at a time as the stack's update_config says; fails if Swarm
# rolled the update back. The image it replaces is kept in a service label, for `rollback`
# (Swarm's own rollback goes one spec back, and a scale or an automatic rollback is a spec too).
update() {
	local service=${STACK}_$1 image=$2 previous state
	previous=$(current_image "$1")
	if [ "$previous" = "$image" ]; then
		log "$service runs $image already"
		return
	fi
	log "rolling $service to $image"
	docker service update --quiet --detach=false --no-resolve-image --image "$image" \
		--label-add "$PREVIOUS_LABEL=$previous" "$service" >/dev/null 2>&1 || true
	state=$(settled "$service")
	case $state in
	completed) log "$service runs $image" ;;
	*) die "$service: update $state ($(docker service inspect --format '{{.UpdateStatus.Message}}' "$service")); it runs $(current_image "$1")" ;;
	esac
}

current_image() { docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "${STACK}_$1"; }

# rollback SERVICE: a rolling update to the image the last deploy replaced.
rollback() {
	local previous
	previous=$(docker service inspect --format "{{index .Spec.Labels \"$PREVIOUS_LABEL\"}}" "${STACK}_$1")
	[ -n "$previous" ] || die "${STACK}_$1 has no previous version"
	update "$1" "$previous"
}

down() {
	if [ "$(swarm_state)" != active ]; then
		log "no swarm here"
		return
	fi
	if docker stack ls --format '{{.Name}}' | grep -qxF "$STACK"; then
		log "removing stack $STACK"
		# It may fail to remove a network whose tasks are still stopping: removed again below.
		docker stack rm "$STACK" >/dev/null 2>&1 || true
		for _ in $(seq 1 120); do
			[ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] && break
			sleep 0.5
		done
	fi
	# Networks go once their last task has; volumes once their containers have.
	for _ in $(seq 1 40); do
		networks=$(docker network ls -q --filter "label=com.docker.stack.namespace=$STACK")
		[ -z "$networks" ] && break
		docker network rm $networks >/dev/null 2>&1 || sleep 0.5
	done
	docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r docker volume rm >/dev/null
	docker network rm "$EDGE" >/dev/null 2>&1 || true
	docker network rm "$EDGE-config" >/dev/null 2>&1 || true
	if [ "$(docker node inspect self --format "{{index .Spec.Labels \"$MADE_LABEL\"}}")" = "$STACK" ]; then
		docker swarm leave --force >/dev/null
		log "left the swarm that up made"
	fi
	log "down"
}

command=${1:-}
case $command in
up)
	# The certificate must name this prefix's VIP: the script adds it when it is new.
	TIERSTACK_NET_PREFIX=$PREFIX scripts/generate-secrets.sh
	for image in haproxy db etcd web app; do
		if ! docker image inspect "tierstack/$image:latest" >/dev/null 2>&1; then
			log "building the images"
			compose_build latest lb1 db1 etcd1 web app
			break
		fi
	done
	images_exist "tierstack/web:${TIERSTACK_VERSION:-latest}" "tierstack/app:${TIERSTACK_VERSION:-latest}"
	ensure_swarm
	ensure_edge
	log "deploying stack $STACK"
	stack_deploy
	wait_serving
	warm_up
	;;
build)
	valid_version "${2:-}"
	compose_build "$2" web app
	log "built tierstack/web:$2 and tierstack/app:$2"
	;;
deploy)
	valid_version "${2:-}"
	images_exist "tierstack/web:$2" "tierstack/app:$2"
	# The schema first (a new version's migration only adds: the running version keeps working),
	# then the app tier, then the web tier, which may call what only the new app tier has.
	update migrate "tierstack/app:$2"
	update app "tierstack/app:$2"
	update web "tierstack/web:$2"
	;;
rollback)
	rollback web
	rollback app
	;;
status) status ;;
down) down ;;
*) usage ;;
esac
