#!/usr/bin/env bash
# Prepares a Debian 12 host that has no container registry for tierstack:
#   1. installs the Docker engine, Compose and debootstrap from Debian's packages,
#   2. starts a Docker engine that cannot route out of the machine (no iptables, no ip_forward),
#   3. builds the base images no registry can supply here:
#        debian:bookworm-slim    (debootstrap minbase)
#        eclipse-temurin:25-jre  (a jlinked Java 25 runtime on top of it)
#        eclipse-temurin:25-jdk  (only with --with-jdk-image: the host's JDK plus curl, for the
#                                 images' from-source target, where Maven runs in the build)
# Idempotent: every step is skipped when its result already exists.
# Usage: scripts/prepare-host.sh [--with-jdk-image]     (as root)
# Stop the engine it started with scripts/stop-host.sh.
set -euo pipefail

STATE_DIR=${TIERSTACK_STATE_DIR:-/var/lib/tierstack}
JDK=${TIERSTACK_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PID_FILE="$STATE_DIR/dockerd.pid"

log() { printf '[prepare-host] %s\n' "$*"; }
die() { printf '[prepare-host] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts dockerd)"
mkdir -p "$STATE_DIR"

install_packages() {
	local missing=()
	command -v dockerd >/dev/null || missing+=(docker.io)
	command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v curl >/dev/null || missing+=(curl)
	command -v ip >/dev/null || missing+=(iproute2)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v chromium >/dev/null || missing+=(chromium)
	command -v chromedriver >/dev/null || missing+=(chromium-driver)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
	fi
}

start_engine() {
	if docker info >/dev/null 2>&1; then
		log "Docker engine already running"
		return
	fi
	log "starting dockerd (no iptables, no ip forwarding)"
	dockerd --iptables=false --ip-forward=false \
		--data-root "$STATE_DIR/docker" --exec-root "$STATE_DIR/docker-exec" \
		--pidfile "$PID_FILE" >"$STATE_DIR/dockerd.log" 2>&1 &
	for _ in $(seq 1 60); do
		docker info >/dev/null 2>&1 && { log "dockerd ready (pid $(cat "$PID_FILE"))"; return; }
		sleep 0.5
	done
	die "dockerd did not become ready; see $STATE_DIR/dockerd.log"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_debian_base() {
	image_exists debian:bookworm-slim && { log "debian:bookworm-slim present"; return; }
	local rootfs="$STATE_DIR/rootfs-bookworm"
	rm -rf "$rootfs"
	log "debootstrap bookworm (minbase) from $DEBIAN_MIRROR"
	debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$STATE_DIR/debootstrap.log" 2>&1 \
		|| die "debootstrap failed; see $STATE_DIR/debootstrap.log"
	tar -C "$rootfs" --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*' -c . |
		docker import \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
	rm -rf "$rootfs"
	log "debian:bookworm-slim imported"
}

build_java_base() {
	image_exists eclipse-temurin:25-jre && { log "eclipse-temurin:25-jre present"; return; }
	[ -x "$JDK/bin/jlink" ] || die "no JDK 25 at $JDK (set TIERSTACK_JDK)"
	local ctx="$STATE_DIR/jre-context"
	rm -rf "$ctx" && mkdir -p "$ctx"
	log "jlinking a Java runtime from $JDK"
	# The module set a Spring Boot service with JDBC, JMX/actuator and TLS needs.
	"$JDK/bin/jlink" --output "$ctx/jre" --strip-debug --no-header-files --no-man-pages \
		--add-modules java.base,java.compiler,java.desktop,java.instrument,java.management,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.sql.rowset,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.management.agent,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs
	cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
COPY jre /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN java -Xshare:dump >/dev/null 2>&1 || true
CMD ["jshell"]
DOCKERFILE
	docker build -q -t eclipse-temurin:25-jre "$ctx" >/dev/null
	rm -rf "$ctx"
	log "eclipse-temurin:25-jre built ($(docker image inspect -f '{{.Size}}' eclipse-temurin:25-jre | awk '{printf "%d MB", $1/1000000}'))"
}

# The JDK image for `--target from-source`: Maven runs inside it and fetches its dependencies
# (the build runs on the host's network: the engine's own containers cannot route out). It
# trusts what the host trusts: the JDK's trust store as the host resolves it (Debian links it
# to /etc/ssl/certs/java), and the host's local CAs for curl (mvnw fetches Maven with it), for
# hosts whose way out presents its own CA.
build_jdk_image() {
	image_exists eclipse-temurin:25-jdk && { log "eclipse-temurin:25-jdk present"; return; }
	[ -x "$JDK/bin/javac" ] || die "no JDK 25 at $JDK (set TIERSTACK_JDK)"
	local ctx="$STATE_DIR/jdk-context"
	rm -rf "$ctx" && mkdir -p "$ctx/local-ca"
	cp -a "$JDK" "$ctx/jdk"
	rm -f "$ctx/jdk/lib/security/cacerts"
	cp --dereference "$JDK/lib/security/cacerts" "$ctx/jdk/lib/security/cacerts"
	cp /usr/local/share/ca-certificates/*.crt "$ctx/local-ca/" 2>/dev/null || true
	cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
	&& rm -rf /var/lib/apt/lists/*
COPY jdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["jshell"]
DOCKERFILE
	docker build -q --network host -t eclipse-temurin:25-jdk "$ctx" >/dev/null
	rm -rf "$ctx"
	log "eclipse-temurin:25-jdk built ($(docker image inspect -f '{{.Size}}' eclipse-temurin:25-jdk | awk '{printf "%d MB", $1/1000000}'))"
}

with_jdk_image=no
for argument in "$@"; do
	case "$argument" in
		--with-jdk-image) with_jdk_image=yes ;;
		*) die "unknown argument: $argument (usage: scripts/prepare-host.sh [--with-jdk-image])" ;;
	esac
done

install_packages
start_engine
build_debian_base
build_java_base
[ "$with_jdk_image" = no ] || build_jdk_image
log "done"
