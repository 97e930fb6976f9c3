#!/usr/bin/env bash
# Starts the tierstack PostgreSQL server as the postgres user.
# First start (empty data directory): initdb, then the owner and runtime roles, the database
# and the schema, through a temporary server that listens on a private socket only.
# Every start: pg_hba.conf is rewritten from DB_ALLOWED_NETWORKS, then this script replaces
# itself with postgres, so that Docker's stop signal reaches the server directly.
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PG_MAJOR:=15}"
readonly DB_NAME=tierstack
readonly DB_SCHEMA=bookshop
DB_OWNER_USER=${DB_OWNER_USER:-tierstack_owner}
DB_APP_USER=${DB_APP_USER:-tierstack_app}
DB_OWNER_PASSWORD_FILE=${DB_OWNER_PASSWORD_FILE:-/run/secrets/db_owner_password}
DB_APP_PASSWORD_FILE=${DB_APP_PASSWORD_FILE:-/run/secrets/db_app_password}
# Docker's private address ranges: any container on a Docker network, nothing beyond.
DB_ALLOWED_NETWORKS=${DB_ALLOWED_NETWORKS:-10.0.0.0/8 172.16.0.0/12 192.168.0.0/16}
# Written last by the initialisation: a data directory without it was left half-done.
readonly INIT_MARKER="$PGDATA/tierstack-initialized"

log() { printf 'tierstack-db: %s\n' "$*" >&2; }
fail() {
	log "ERROR: $*"
	exit 1
}

# Prints the password in FILE. Trailing newlines (editors and `echo` add them) are not part
# of the password.
read_secret() {
	local name=$1 file=$2 value
	[ -e "$file" ] || fail "$name: password file $file does not exist (mount it as a secret or point ${name}_FILE at it)"
	[ -r "$file" ] || fail "$name: password file $file ($(stat -c '%U:%G mode %a' "$file")) is not readable by uid $(id -u); make it world-readable (chmod 0444) on the host"
	value=$(cat -- "$file")
	value=${value%$'\r'}
	[ -n "$value" ] || fail "$name: password file $file is empty"
	printf '%s' "$value"
}

check_settings() {
	local role net
	for role in "$DB_OWNER_USER" "$DB_APP_USER"; do
		[[ $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "role name '$role' must match [a-z_][a-z0-9_]*"
	done
	[ "$DB_OWNER_USER" != "$DB_APP_USER" ] || fail "DB_OWNER_USER and DB_APP_USER must differ"
	[ -n "${DB_ALLOWED_NETWORKS// /}" ] || fail "DB_ALLOWED_NETWORKS is empty: no client could connect"
	for net in $DB_ALLOWED_NETWORKS; do
		[[ $net =~ ^[0-9A-Fa-f.:]+/[0-9]{1,3}$ ]] || fail "DB_ALLOWED_NETWORKS: '$net' is not a CIDR (like 172.16.0.0/12)"
	done
}

# Only the two application roles, only from the allowed networks, only with a password;
# the superuser only through the local socket as the postgres OS user. Explicit rejects give
# clients a clear "pg_hba.conf rejects connection" message.
write_hba() {
	local net
	{
		echo "# Written by the entrypoint on every start from DB_ALLOWED_NETWORKS; edits here are lost."
		echo "# TYPE  DATABASE      USER              ADDRESS           METHOD"
		echo "local   all           postgres                            peer"
		echo "local   replication   postgres                            peer"
		for net in $DB_ALLOWED_NETWORKS; do
			printf 'host    %-13s %-17s %-17s scram-sha-256\n' "$DB_NAME" "$DB_OWNER_USER" "$net"
			printf 'host    %-13s %-17s %-17s scram-sha-256\n' "$DB_NAME" "$DB_APP_USER" "$net"
		done
		echo "local   all           all                                 reject"
		echo "host    all           all               all               reject"
		echo "host    replication   all               all               reject"
	} >"$PGDATA/pg_hba.conf"
}

init_cluster() {
	local owner_password app_password sockdir
	# Read the secrets before initdb: a missing one must not leave a half-made data directory.
	owner_password=$(read_secret DB_OWNER_PASSWORD "$DB_OWNER_PASSWORD_FILE")
	app_password=$(read_secret DB_APP_PASSWORD "$DB_APP_PASSWORD_FILE")

	log "empty data directory $PGDATA: initialising"
	initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 --data-checksums --no-instructions >/dev/null
	printf "\n# tierstack settings shipped in the image; they win over the defaults above.\ninclude '/etc/tierstack-db/postgresql.conf'\n" \
		>>"$PGDATA/postgresql.conf"
	write_hba

	# The temporary server logs to a file: the container's log then shows "ready to accept
	# connections" exactly once, from the final server.
	sockdir=$(mktemp -d /tmp/tierstack-init.XXXXXX)
	if ! pg_ctl --pgdata="$PGDATA" --wait --timeout=60 --log="$sockdir/server.log" \
		--options="-c listen_addresses='' -c unix_socket_directories='$sockdir'" start >/dev/null; then
		cat "$sockdir/server.log" >&2
		fail "the temporary server for the initialisation did not start"
	fi

	OWNER_PASSWORD=$owner_password APP_PASSWORD=$app_password \
		psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$sockdir" --username=postgres --dbname=postgres \
		--set=owner="$DB_OWNER_USER" --set=app="$DB_APP_USER" --set=db="$DB_NAME" --set=schema="$DB_SCHEMA" <<'SQL'
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD

-- The owner runs the migrations; the runtime role only reads and writes rows.
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
ALTER ROLE :"owner" SET search_path = :"schema";
ALTER ROLE :"app" SET search_path = :"schema";

CREATE DATABASE :"db" OWNER :"owner";
-- PUBLIC would otherwise get CONNECT and TEMPORARY: only the two roles may connect.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";

\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA :"schema" AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"app";
-- Tables and sequences the owner creates later (through Flyway) are usable by the runtime role.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL

	pg_ctl --pgdata="$PGDATA" --wait --timeout=60 --mode=fast stop >/dev/null
	rm -rf "$sockdir"
	touch "$INIT_MARKER"
	log "initialised database $DB_NAME, schema $DB_SCHEMA, roles $DB_OWNER_USER (owner) and $DB_APP_USER (runtime)"
}

main() {
	[ "$(id -u)" != 0 ] || fail "refusing to run as root: run as the postgres user (the image's USER)"
	[ -d "$PGDATA" ] && [ -w "$PGDATA" ] || fail "data directory $PGDATA is missing or not writable by uid $(id -u)"
	check_settings

	if [ -s "$PGDATA/PG_VERSION" ]; then
		[ -e "$INIT_MARKER" ] || fail "$PGDATA holds a cluster whose initialisation did not finish; remove the volume and start again"
		log "existing data directory $PGDATA (PostgreSQL $(cat "$PGDATA/PG_VERSION")): no initialisation"
	else
		init_cluster
	fi
	write_hba

	log "starting PostgreSQL $PG_MAJOR; host connections for $DB_OWNER_USER, $DB_APP_USER from: $DB_ALLOWED_NETWORKS"
	exec postgres -D "$PGDATA" "$@"
}

main "$@"
