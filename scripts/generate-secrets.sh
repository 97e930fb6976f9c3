#!/usr/bin/env bash
# Writes the database passwords that docker-compose.yml mounts as secrets, if they are absent:
#   secrets/db_owner_password.txt  the schema owner (Flyway migrations)
#   secrets/db_app_password.txt    the runtime role of the app tier
#   secrets/db_replication_password.txt  streaming replication between the database members
#   secrets/db_rewind_password.txt       pg_rewind of a former leader (Patroni)
# The directory is git-ignored and private (0700); the files are world-readable inside it,
# because Compose bind-mounts them and the containers read them as non-root users.
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/secrets"}
mkdir -p "$dir"
chmod 0700 "$dir"
for name in db_owner_password db_app_password db_replication_password db_rewind_password; do
	file="$dir/$name.txt"
	if [ ! -s "$file" ]; then
		# 32 random bytes, base64url without padding: no character that needs quoting anywhere.
		head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$file"
		echo "[generate-secrets] wrote $file"
	fi
	chmod 0444 "$file"
done
