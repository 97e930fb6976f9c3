#!/bin/bash
# Records the JVM's ahead-of-time cache (JEP 483/514/515) for an extracted Spring Boot jar,
# at image build time: the classes loaded and linked by one run, which the image then starts
# with (-XX:AOTCache=app.aot).
#
# Usage (in the image's working directory): aot-training-run.sh JAR [JVM option...]
#
# Without TRAINING_PATHS the run ends with the refreshed context. With TRAINING_PATHS (paths,
# separated by spaces) the application starts in full, on SERVER_PORT, and once
# TRAINING_READY_PATH (default: the readiness probe) answers 200 each path is requested
# TRAINING_ROUNDS times (default 3); SIGTERM ends the run. The classes that serve those
# requests (templates, JSON, queries, the HTTP client, error pages) then come from the cache
# instead of being loaded and verified from the jars while the first clients wait.
#
# The options keep the run away from anything remote (there is no database or app tier at
# build time; requests that need one get the error pages, which is code worth caching too).
# The training run must use the same JVM options as production (JAVA_TOOL_OPTIONS of the
# image applies to both); a cache that does not match is ignored by the JVM, with a warning.
set -euo pipefail
jar=$1
shift
log=/tmp/aot-training.log
if [ ! -f "$jar" ]; then
	echo "$jar is missing: run ./mvnw package first, or build --target from-source" >&2
	exit 1
fi

fail() {
	echo "AOT training run: $1" >&2
	cat "$log" >&2
	exit 1
}

# One HTTP/1.0 request to this host; prints the status line.
request() {
	exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nAccept: text/html,application/json\r\n\r\n' "$1" >&3
	local status
	read -r status <&3 || true
	cat <&3 >/dev/null || true
	exec 3<&-
	echo "$status"
}

# The management server on any free port: builds may share the host's network, and the other
# tier's training run with it.
export MANAGEMENT_PORT=0

if [ -z "${TRAINING_PATHS:-}" ]; then
	java -XX:AOTCacheOutput=app.aot -Dspring.aot.enabled=true -Dspring.context.exit=onRefresh "$@" \
		-jar "$jar" >"$log" 2>&1 || fail "the application did not start"
else
	java -XX:AOTCacheOutput=app.aot -Dspring.aot.enabled=true "$@" -jar "$jar" >"$log" 2>&1 &
	pid=$!
	ready=no
	for _ in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || fail "the application exited"
		case "$(request "${TRAINING_READY_PATH:-/readyz}" 2>/dev/null)" in
			*" 200 "*) ready=yes && break ;;
		esac
		sleep 0.1
	done
	[ "$ready" = yes ] || fail "not ready within 60 s"
	for _ in $(seq 1 "${TRAINING_ROUNDS:-3}"); do
		for path in $TRAINING_PATHS; do
			request "$path" >/dev/null || fail "no answer to $path"
		done
	done
	kill -TERM "$pid"
	# The JVM writes the cache as it exits; 143 is the exit status after SIGTERM.
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 0 ] || [ "$status" -eq 143 ] || fail "exit status $status"
fi
[ -s app.aot ] || fail "no AOT cache written"
rm -f "$log"
chmod 0444 app.aot
