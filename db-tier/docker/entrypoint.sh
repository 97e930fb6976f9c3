#!/usr/bin/env bash
# Starts the tierstack PostgreSQL server as the postgres user.
# First start (empty data directory): initdb, then the owner and runtime roles, the database
# and the schema, through a temporary server that listens on a private socket only. With
# DB_MODE=replica, a copy of DB_PRIMARY_HOST (pg_basebackup) that follows it by streaming.
# Every start: pg_hba.conf is rewritten from DB_ALLOWED_NETWORKS, then this script replaces
# itself with postgres, so that Docker's stop signal reaches the server directly.
# With DB_MODE=patroni, Patroni runs the server instead, as one member of a cluster whose
# state lives in etcd: it initialises the first member (and calls this script back as
# `entrypoint.sh post-bootstrap URL` to create the roles), copies the leader into the others,
# promotes a replica when the leader is gone and rewinds a former leader into a replica.
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
# Patroni (DB_MODE=patroni): the member's name, its address on the peer network (where the
# members replicate, rewind and answer Patroni's REST API; the clients' network carries
# none of it), the CIDRs of that network, and the etcd members that hold the cluster state.
DB_CLUSTER_NAME=${DB_CLUSTER_NAME:-tierstack}
DB_MEMBER_NAME=${DB_MEMBER_NAME:-${HOSTNAME:-db}}
DB_PEER_HOST=${DB_PEER_HOST:-$DB_MEMBER_NAME}
# Where Patroni's REST API listens: the peer address, or a network (CIDR) to listen on this
# container's address in it. On Swarm an overlay address is known only once the task runs,
# and the task's name resolves only once it is healthy, which needs the REST API.
DB_PEER_LISTEN=${DB_PEER_LISTEN:-$DB_PEER_HOST}
DB_PEER_NETWORKS=${DB_PEER_NETWORKS:-$DB_ALLOWED_NETWORKS}
DB_ETCD_HOSTS=${DB_ETCD_HOSTS:-etcd1:2379,etcd2:2379,etcd3:2379}
DB_REWIND_USER=${DB_REWIND_USER:-tierstack_rewind}
DB_REWIND_PASSWORD_FILE=${DB_REWIND_PASSWORD_FILE:-/run/secrets/db_rewind_password}
readonly PATRONI_CONFIG=${PATRONICTL_CONFIG_FILE:-/tmp/patroni.yml}
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
	primary | patroni) ;;
	replica) [ -n "$DB_PRIMARY_HOST" ] || fail "DB_MODE=replica needs DB_PRIMARY_HOST (the primary's host name)" ;;
	*) fail "DB_MODE must be primary, replica or patroni, not '$DB_MODE'" ;;
	esac
	for role in "$DB_OWNER_USER" "$DB_APP_USER" "$DB_REPLICATION_USER" "$DB_REWIND_USER"; do
		[[ $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "role name '$role' must match [a-z_][a-z0-9_]*"
	done
	[ "$(printf '%s\n' "$DB_OWNER_USER" "$DB_APP_USER" "$DB_REPLICATION_USER" "$DB_REWIND_USER" | sort -u | wc -l)" = 4 ] ||
		fail "DB_OWNER_USER, DB_APP_USER, DB_REPLICATION_USER and DB_REWIND_USER must differ"
	[ -n "${DB_ALLOWED_NETWORKS// /}" ] || fail "DB_ALLOWED_NETWORKS is empty: no client could connect"
	for net in $DB_ALLOWED_NETWORKS $DB_PEER_NETWORKS; do
		[[ $net =~ ^[0-9A-Fa-f.:]+/[0-9]{1,3}$ ]] || fail "DB_ALLOWED_NETWORKS/DB_PEER_NETWORKS: '$net' is not a CIDR (like 172.16.0.0/12)"
	done
	if [ "$DB_MODE" = patroni ]; then
		[[ $DB_MEMBER_NAME =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || fail "DB_MEMBER_NAME '$DB_MEMBER_NAME' must match [a-z0-9][a-z0-9-]*"
		[[ $DB_PEER_HOST =~ ^[A-Za-z0-9.-]+$ ]] || fail "DB_PEER_HOST '$DB_PEER_HOST' is not a host name"
		[[ $DB_PEER_LISTEN =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ || $DB_PEER_LISTEN =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/([0-9]|[12][0-9]|3[0-2])$ ]] ||
			fail "DB_PEER_LISTEN '$DB_PEER_LISTEN' is neither a host name nor a CIDR (like 10.203.5.0/24)"
		[[ $DB_ETCD_HOSTS =~ ^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$ ]] ||
			fail "DB_ETCD_HOSTS '$DB_ETCD_HOSTS' must be host:port[,host:port...]"
	fi
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

# The database, the schema and the roles (roles.sql), through a superuser connection given by
# the psql arguments after the three passwords (an empty replication password: no such role).
create_roles() {
	local owner_password=$1 app_password=$2 replication_password=$3
	shift 3
	OWNER_PASSWORD=$owner_password APP_PASSWORD=$app_password REPLICATION_PASSWORD=$replication_password \
		psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --username=postgres "$@" \
		--set=owner="$DB_OWNER_USER" --set=app="$DB_APP_USER" --set=db="$DB_NAME" --set=schema="$DB_SCHEMA" \
		--set=replicator="$DB_REPLICATION_USER" --file=/etc/tierstack-db/roles.sql
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

	create_roles "$owner_password" "$app_password" "$replication_password" --host="$sockdir" --dbname=postgres

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

# Prints this container's IPv4 address in the network CIDR (Patroni's psutil lists them).
address_in() {
	python3 - "$1" <<'PY'
import ipaddress, socket, sys
import psutil
try:
    network = ipaddress.ip_network(sys.argv[1], strict=False)
except ValueError as error:
    sys.exit(f"tierstack-db: ERROR: DB_PEER_LISTEN: {error}")
for addresses in psutil.net_if_addrs().values():
    for address in addresses:
        if address.family == socket.AF_INET and ipaddress.ip_address(address.address) in network:
            print(address.address)
            sys.exit(0)
sys.exit(1)
PY
}

# Patroni's settings. Passwords are not in the file: Patroni reads them from its environment.
# ttl 20 is Patroni's minimum: a leader that stops renewing its key (killed, cut off) loses it
# 20 s after its last renewal, which bounds the failover time of a hard crash. loop_wait 2
# renews it every 2 s. A leader cut off from etcd demotes itself only after its failed DCS
# calls (up to 2 x retry_timeout), failsafe mode's two tries to reach the other member (2 s
# each) and a fast stop; all of that must end well before the ttl lets the replica take over,
# hence a retry_timeout well under Patroni's bound of (ttl - loop_wait) / 2.
write_patroni_config() {
	local net
	RESTAPI_ADDR=$DB_PEER_LISTEN
	if [[ $RESTAPI_ADDR == */* ]]; then
		RESTAPI_ADDR=$(address_in "$DB_PEER_LISTEN") || fail "DB_PEER_LISTEN: this container has no address in $DB_PEER_LISTEN"
	fi
	readonly RESTAPI_ADDR
	{
		cat <<YAML
scope: $DB_CLUSTER_NAME
name: $DB_MEMBER_NAME
log:
  level: INFO
  format: 'tierstack-patroni %(levelname)s: %(message)s'
restapi:
  listen: $RESTAPI_ADDR:8008
  connect_address: $DB_PEER_HOST:8008
etcd3:
  hosts: $DB_ETCD_HOSTS
watchdog:
  mode: 'off'
# member-watch.py sets nofailover while this member cannot reach the app tier.
tags:
  nofailover: false
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    # Without an etcd quorum the leader keeps its role as long as it reaches every other
    # member (their REST APIs confirm they follow it) instead of demoting itself.
    failsafe_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 100
        synchronous_commit: 'on'
        wal_log_hints: 'on'
        hot_standby_feedback: 'on'
        max_standby_streaming_delay: 5s
        wal_keep_size: 256MB
        # A former leader rewinds from the last checkpoint both members share: frequent
        # checkpoints keep what pg_rewind copies small.
        checkpoint_timeout: 1min
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
    - auth-local: peer
    - auth-host: scram-sha-256
  post_bootstrap: /usr/local/bin/entrypoint.sh post-bootstrap
postgresql:
  listen: 0.0.0.0:5432
  connect_address: $DB_PEER_HOST:5432
  data_dir: $PATRONI_DATA_DIR
  bin_dir: /usr/lib/postgresql/$PG_MAJOR/bin
  custom_conf: /etc/tierstack-db/postgresql.conf
  pgpass: /tmp/patroni.pgpass
  use_unix_socket: true
  # Patroni also reads its own timeline over a replication connection: the local socket.
  use_unix_socket_repl: true
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  basebackup:
    - checkpoint: fast
  parameters:
    unix_socket_directories: /var/run/postgresql
    # With synchronous replication every commit waits for the standby: one that hangs
    # (alive, connected, silent) is dropped after this long instead of PostgreSQL's 60 s,
    # and Patroni's next loop lets commits go on without it. Here rather than in the
    # bootstrap settings, so that a member of an existing cluster takes it when it restarts.
    wal_sender_timeout: 3s
  pg_hba:
    - local all postgres peer
    - local replication postgres peer
    - local replication $DB_REPLICATION_USER scram-sha-256
YAML
		for net in $DB_ALLOWED_NETWORKS; do
			echo "    - host $DB_NAME $DB_OWNER_USER $net scram-sha-256"
			echo "    - host $DB_NAME $DB_APP_USER $net scram-sha-256"
		done
		for net in $DB_PEER_NETWORKS; do
			echo "    - host replication $DB_REPLICATION_USER $net scram-sha-256"
			echo "    - host postgres $DB_REWIND_USER $net scram-sha-256"
		done
		echo "    - local all all reject"
		echo "    - host all all all reject"
		echo "    - host replication all all reject"
	} >"$PATRONI_CONFIG"
}

# Metrics for Prometheus, on DB_METRICS_ADDR (this member's address on the operations network)
# only: PostgreSQL's from Debian's postgres_exporter, connected over the local socket as the
# postgres OS user, and, for a Patroni member, Patroni's own /metrics through a forwarder that
# answers that path alone (patroni-metrics.py; the REST API's other endpoints stay on the
# members' network). Patroni, which the script becomes, is their parent; they are not
# restarted if they die, which Prometheus shows as the target down.
start_metrics_exporters() {
	[ -n "${DB_METRICS_ADDR:-}" ] || return 0
	DATA_SOURCE_NAME="host=/var/run/postgresql user=postgres dbname=postgres sslmode=disable" \
		prometheus-postgres-exporter --web.listen-address="$DB_METRICS_ADDR:9187" \
		--extend.query-path=/etc/tierstack-db/exporter-queries.yaml \
		--disable-settings-metrics --log.level=warn &
	if [ "$DB_MODE" = patroni ]; then
		patroni-metrics.py "$DB_METRICS_ADDR:9547" "http://$RESTAPI_ADDR:8008/metrics" "$MEMBER_WATCH_METRICS" &
	fi
}

# With DB_APP_PROBE (the app tier's name and port on the data network), member-watch.py hands
# the leader role to the replica when this member cannot reach the app tier, which Patroni
# cannot see (docs/design.md, "Database members that hang or lose a link"). Unlike the
# exporters it is started again if it exits: without it a cut-off primary keeps its role.
# Its rounds are in MEMBER_WATCH_METRICS, which the metrics forwarder adds to Patroni's.
readonly MEMBER_WATCH_METRICS=/tmp/member-watch.prom
start_member_watch() {
	[ -n "${DB_APP_PROBE:-}" ] || return 0
	(
		while :; do
			status=0
			member-watch.py "http://$RESTAPI_ADDR:8008" "$PATRONI_CONFIG" "$DB_MEMBER_NAME" "$DB_APP_PROBE" \
				"$MEMBER_WATCH_METRICS" || status=$?
			log "member-watch.py exited with status $status; starting it again in 1 s"
			sleep 1
		done
	) &
}

run_patroni() {
	# A subdirectory of the volume: Patroni may remove and recreate the data directory (a
	# former leader that cannot be rewound is copied anew), which a mount point cannot be.
	readonly PATRONI_DATA_DIR="$PGDATA/pgdata"
	write_patroni_config
	# Read before exec: a missing secret stops the container with a message that names it.
	read_secret DB_OWNER_PASSWORD "$DB_OWNER_PASSWORD_FILE" >/dev/null
	read_secret DB_APP_PASSWORD "$DB_APP_PASSWORD_FILE" >/dev/null
	PATRONI_REPLICATION_PASSWORD=$(read_secret DB_REPLICATION_PASSWORD "$DB_REPLICATION_PASSWORD_FILE")
	PATRONI_REWIND_PASSWORD=$(read_secret DB_REWIND_PASSWORD "$DB_REWIND_PASSWORD_FILE")
	export PATRONI_REPLICATION_PASSWORD PATRONI_REWIND_PASSWORD
	export PATRONI_SUPERUSER_USERNAME=postgres PATRONI_REPLICATION_USERNAME=$DB_REPLICATION_USER \
		PATRONI_REWIND_USERNAME=$DB_REWIND_USER
	start_metrics_exporters
	start_member_watch
	log "starting Patroni member $DB_MEMBER_NAME of cluster $DB_CLUSTER_NAME (peer address $DB_PEER_HOST, etcd $DB_ETCD_HOSTS); host connections for $DB_OWNER_USER, $DB_APP_USER from: $DB_ALLOWED_NETWORKS"
	exec patroni "$PATRONI_CONFIG"
}

# Called by Patroni once, on the member that initialised the cluster, with a superuser
# connection URL (the replication and rewind roles are Patroni's own).
post_bootstrap() {
	create_roles "$(read_secret DB_OWNER_PASSWORD "$DB_OWNER_PASSWORD_FILE")" \
		"$(read_secret DB_APP_PASSWORD "$DB_APP_PASSWORD_FILE")" "" --dbname="$1"
	log "initialised database $DB_NAME, schema $DB_SCHEMA, roles $DB_OWNER_USER (owner) and $DB_APP_USER (runtime)"
}

main() {
	[ "$(id -u)" != 0 ] || fail "refusing to run as root: run as the postgres user (the image's USER)"
	[ -d "$PGDATA" ] && [ -w "$PGDATA" ] || fail "data directory $PGDATA is missing or not writable by uid $(id -u)"
	check_settings
	if [ "${1:-}" = post-bootstrap ]; then
		post_bootstrap "$2"
		return
	fi
	if [ "$DB_MODE" = patroni ]; then
		run_patroni
	fi

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
