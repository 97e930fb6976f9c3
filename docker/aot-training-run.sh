#!/bin/sh
# Records the JVM's ahead-of-time cache (JEP 483/514/515) for an extracted Spring Boot jar,
# at image build time: loaded and linked classes and method profiles of one start-up, up
# to the refreshed context, which then exits. The image starts with -XX:AOTCache=app.aot.
#
# Usage (in the image's working directory): aot-training-run.sh JAR [JVM option...]
# The options keep the run away from anything remote (there is no database at build time).
# The training run must use the same JVM options as production (JAVA_TOOL_OPTIONS of the
# image applies to both); a cache that does not match is ignored by the JVM, with a warning.
set -eu
jar=$1
shift
if [ ! -f "$jar" ]; then
	echo "$jar is missing: run ./mvnw package first, or build --target from-source" >&2
	exit 1
fi
if ! java -XX:AOTCacheOutput=app.aot -Dspring.aot.enabled=true -Dspring.context.exit=onRefresh "$@" \
	-jar "$jar" >/tmp/aot-training.log 2>&1; then
	cat /tmp/aot-training.log >&2
	exit 1
fi
rm -f /tmp/aot-training.log
chmod 0444 app.aot
