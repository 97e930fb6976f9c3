#!/usr/bin/env bash
# Starts the tierstack PostgreSQL server as the postgres user.
# First start (empty data directory): initdb, then the owner and runtime roles, the database
# and the schema, through a temporary server that listens on a private socket only. With
# DB_MODE=replica, a copy of DB_PRIMARY_HOST (pg_basebackup) that follows it by streaming.
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
DB_MODE=${DB_MODE:-primary}
# Streaming replication: a primary creates this role when its password file exists; a
# replica connects with it to DB_PRIMARY_HOST.
DB_REPLICATION_USER=${DB_REPLICATION_USER:-tierstack_replicator}
DB_REPLICATION_PASSWORD_FILE=${DB_REPLICATION_PASSWORD_FILE:-/run/secrets/db_replication_password}
DB_PRIMARY_HOST=${DB_PRIMARY_HOST:-}
DB_PRIMARY_PORT=${DB_PRIMARY_PORT:-5432}
# Outside the volume, rewritten on every start from the secret.
readonly REPLICATION_PASSFILE=/var/run/postgresql/replication.pgpass
# Written last by the initialisation: a data directory without it was left half-done. A
# replica has its own, as pg_basebackup copies the primary's.
if [ "$DB_MODE" = replica ]; then
	readonly INIT_MARKER="$PGDATA/tierstack-replica-initialized"
else
	readonly INIT_MARKER="$PGDATA/tierstack-initialized"
fi

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
	case $DB_MODE in
	primary) ;;
	replica) [ -n "$DB_PRIMARY_HOST" ] || fail "DB_MODE=replica needs DB_PRIMARY_HOST (the primary's host name)" ;;
	*) fail "DB_MODE must be primary or replica, not '$DB_MODE'" ;;
	esac
	for role in "$DB_OWNER_USER" "$DB_APP_USER" "$DB_REPLICATION_USER"; do
		[[ $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "role name '$role' must match [a-z_][a-z0-9_]*"
	done
	[ "$(printf '%s\n' "$DB_OWNER_USER" "$DB_APP_USER" "$DB_REPLICATION_USER" | sort -u | wc -l)" = 3 ] ||
		fail "DB_OWNER_USER, DB_APP_USER and DB_REPLICATION_USER must differ"
	[ -n "${DB_ALLOWED_NETWORKS// /}" ] || fail "DB_ALLOWED_NETWORKS is empty: no client could connect"
	for net in $DB_ALLOWED_NETWORKS; do
		[[ $net =~ ^[0-9A-Fa-f.:]+/[0-9]{1,3}$ ]] || fail "DB_ALLOWED_NETWORKS: '$net' is not a CIDR (like 172.16.0.0/12)"
	done
}

replication_enabled() { [ -e "$DB_REPLICATION_PASSWORD_FILE" ]; }

# Only the two application roles (and the replication role, if there is one), only from the
# allowed networks, only with a password;
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
			if replication_enabled; then
				printf 'host    %-13s %-17s %-17s scram-sha-256\n' replication "$DB_REPLICATION_USER" "$net"
			fi
		done
		echo "local   all           all                                 reject"
		echo "host    all           all               all               reject"
		echo "host    replication   all               all               reject"
	} >"$PGDATA/pg_hba.conf"
}

init_cluster() {
	local owner_password app_password replication_password sockdir
	# Read the secrets before initdb: a missing one must not leave a half-made data directory.
	owner_password=$(read_secret DB_OWNER_PASSWORD "$DB_OWNER_PASSWORD_FILE")
	app_password=$(read_secret DB_APP_PASSWORD "$DB_APP_PASSWORD_FILE")
	replication_password=""
	if replication_enabled; then
		replication_password=$(read_secret DB_REPLICATION_PASSWORD "$DB_REPLICATION_PASSWORD_FILE")
	fi

	log "empty data directory $PGDATA: initialising"
	# One syncfs of the volume instead of initdb's fsync of each of its ~1,000 files: the same
	# durability, seconds faster on a busy disk.
	initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 --data-checksums --no-instructions --no-sync >/dev/null
	sync --file-system "$PGDATA"
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

	OWNER_PASSWORD=$owner_password APP_PASSWORD=$app_password REPLICATION_PASSWORD=$replication_password \
		psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$sockdir" --username=postgres --dbname=postgres \
		--set=owner="$DB_OWNER_USER" --set=app="$DB_APP_USER" --set=db="$DB_NAME" --set=schema="$DB_SCHEMA" \
		--set=replicator="$DB_REPLICATION_USER" <<'SQL'
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD
\getenv replication_password REPLICATION_PASSWORD

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

-- Streaming replicas copy and follow the whole cluster with this role; it reads no tables.
SELECT :'replication_password' <> '' AS with_replication \gset
\if :with_replication
CREATE ROLE :"replicator" LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'replication_password';
\endif
SQL

	pg_ctl --pgdata="$PGDATA" --wait --timeout=60 --mode=fast stop >/dev/null
	rm -rf "$sockdir"
	touch "$INIT_MARKER"
	log "initialised database $DB_NAME, schema $DB_SCHEMA, roles $DB_OWNER_USER (owner) and $DB_APP_USER (runtime)"
}

# libpq reads the replication password from here: neither the command line nor
# postgresql.auto.conf (which pg_basebackup -R writes) holds it.
write_replication_passfile() {
	local password
	password=$(read_secret DB_REPLICATION_PASSWORD "$DB_REPLICATION_PASSWORD_FILE")
	password=${password//\\/\\\\}
	password=${password//:/\\:}
	(umask 077 && printf '*:*:*:%s:%s\n' "$DB_REPLICATION_USER" "$password" >"$REPLICATION_PASSFILE")
}

init_replica() {
	local waited=0
	write_replication_passfile
	log "empty data directory $PGDATA: copying the primary $DB_PRIMARY_HOST:$DB_PRIMARY_PORT"
	until pg_isready -q -h "$DB_PRIMARY_HOST" -p "$DB_PRIMARY_PORT" -t 2; do
		[ "$waited" -lt 120 ] || fail "the primary $DB_PRIMARY_HOST:$DB_PRIMARY_PORT did not answer within 120 s"
		sleep 1
		waited=$((waited + 1))
	done
	PGPASSFILE=$REPLICATION_PASSFILE pg_basebackup --pgdata="$PGDATA" --host="$DB_PRIMARY_HOST" \
		--port="$DB_PRIMARY_PORT" --username="$DB_REPLICATION_USER" --no-password \
		--wal-method=stream --checkpoint=fast --write-recovery-conf
	# -R wrote standby.signal and a primary_conninfo with the password in it; this one names
	# the replica in the primary's pg_stat_replication and reads the password from the passfile.
	sed -i '/^primary_conninfo/d' "$PGDATA/postgresql.auto.conf"
	printf "primary_conninfo = 'host=%s port=%s user=%s passfile=%s application_name=%s'\n" \
		"$DB_PRIMARY_HOST" "$DB_PRIMARY_PORT" "$DB_REPLICATION_USER" "$REPLICATION_PASSFILE" "${HOSTNAME:-replica}" \
		>>"$PGDATA/postgresql.auto.conf"
	touch "$INIT_MARKER"
	log "initialised a streaming replica of $DB_PRIMARY_HOST:$DB_PRIMARY_PORT"
}

main() {
	[ "$(id -u)" != 0 ] || fail "refusing to run as root: run as the postgres user (the image's USER)"
	[ -d "$PGDATA" ] && [ -w "$PGDATA" ] || fail "data directory $PGDATA is missing or not writable by uid $(id -u)"
	check_settings

	if [ -s "$PGDATA/PG_VERSION" ]; then
		[ -e "$INIT_MARKER" ] || fail "$PGDATA holds a cluster whose initialisation did not finish; remove the volume and start again"
		log "existing data directory $PGDATA (PostgreSQL $(cat "$PGDATA/PG_VERSION")): no initialisation"
		if [ "$DB_MODE" = replica ]; then
			write_replication_passfile
		fi
	elif [ "$DB_MODE" = replica ]; then
		init_replica
	else
		init_cluster
	fi
	write_hba

	log "starting PostgreSQL $PG_MAJOR ($DB_MODE); host connections for $DB_OWNER_USER, $DB_APP_USER from: $DB_ALLOWED_NETWORKS"
	exec postgres -D "$PGDATA" "$@"
}

main "$@"
