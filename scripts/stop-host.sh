#!/usr/bin/env bash
# Stops the Docker engine that scripts/prepare-host.sh started (by its pid file).
set -euo pipefail
STATE_DIR=${TIERSTACK_STATE_DIR:-/var/lib/tierstack}
PID_FILE="$STATE_DIR/dockerd.pid"
if [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
	pid=$(cat "$PID_FILE")
	kill "$pid"
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	echo "[stop-host] dockerd ($pid) stopped"
else
	echo "[stop-host] no dockerd started by prepare-host is running"
fi
