#!/usr/bin/env bash
# Writes what docker-compose.yml mounts as secrets, if it is absent (an existing file is kept):
#   secrets/db_owner_password.txt        the schema owner (Flyway migrations)
#   secrets/db_app_password.txt          the runtime role of the app tier
#   secrets/db_replication_password.txt  streaming replication between the database members
#   secrets/db_rewind_password.txt       pg_rewind of a former leader (Patroni)
#   secrets/tls/ca.crt, ca.key           a local certificate authority (trust ca.crt, see README)
#   secrets/tls/lb.pem                   the load balancers' certificate and key, from that CA
#   secrets/tls_ticket_keys.txt          TLS session-ticket keys both load balancers share
# The certificate names localhost, 127.0.0.1 and the VIP and node addresses of every
# TIERSTACK_NET_PREFIX this script has seen, plus TIERSTACK_TLS_NAMES (e.g. "DNS:shop.test");
# it is issued again when that list grows or it has less than 30 days left.
# The directory is git-ignored and private (0700); the files are world-readable inside it,
# because Compose bind-mounts them and the containers read them as non-root users. The CA's key
# is never mounted and is readable by its owner alone.
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/secrets"}
prefix=${TIERSTACK_NET_PREFIX:-10.203}
log() { echo "[generate-secrets] $*"; }
command -v openssl >/dev/null || { log "openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir/tls"
chmod 0700 "$dir" "$dir/tls"

for name in db_owner_password db_app_password db_replication_password db_rewind_password; do
	file="$dir/$name.txt"
	if [ ! -s "$file" ]; then
		# 32 random bytes, base64url without padding: no character that needs quoting anywhere.
		head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$file"
		log "wrote $file"
	fi
	chmod 0444 "$file"
done

# Three 80-byte keys (AES-256 tickets): HAProxy encrypts with the second and accepts all three,
# so a key appended (and the first removed) on both nodes rotates them without a lost session.
tickets="$dir/tls_ticket_keys.txt"
if [ ! -s "$tickets" ]; then
	for _ in 1 2 3; do head -c 80 /dev/urandom | base64 -w0; echo; done >"$tickets"
	log "wrote $tickets"
fi
chmod 0444 "$tickets"

# The CA may sign for local names and private addresses only (name constraints): trusting it
# in a browser does not let its key vouch for any public site.
ca_key="$dir/tls/ca.key" ca_crt="$dir/tls/ca.crt"
if [ ! -s "$ca_key" ] || [ ! -s "$ca_crt" ]; then
	umask 077
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
		-keyout "$ca_key" -out "$ca_crt" -subj "/O=tierstack/CN=tierstack local CA" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "nameConstraints=critical,permitted;DNS:localhost,permitted;DNS:test,permitted;DNS:internal,permitted;IP:10.0.0.0/255.0.0.0,permitted;IP:172.16.0.0/255.240.0.0,permitted;IP:192.168.0.0/255.255.0.0,permitted;IP:127.0.0.0/255.0.0.0" \
		2>/dev/null
	umask 022
	rm -f "$dir/tls/lb.pem"
	log "wrote $ca_crt (a new local CA: trust it again where you trusted the old one)"
fi
chmod 0400 "$ca_key"
chmod 0444 "$ca_crt"

names="$dir/tls/names.txt"
touch "$names"
for name in DNS:localhost IP:127.0.0.1 "IP:$prefix.1.10" "IP:$prefix.1.11" "IP:$prefix.1.12" ${TIERSTACK_TLS_NAMES:-}; do
	grep -qxF "$name" "$names" || echo "$name" >>"$names"
done
pem="$dir/tls/lb.pem"
issued_for="$dir/tls/lb.names"
if [ ! -s "$pem" ] || ! cmp -s "$names" "$issued_for" || ! openssl x509 -in "$pem" -noout -checkend $((30 * 86400)) >/dev/null; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
		-subj "/O=tierstack/CN=tierstack load balancers" -out "$work/req.pem" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" "subjectAltName=$(paste -sd, "$names")" >"$work/ext.cnf"
	openssl x509 -req -in "$work/req.pem" -CA "$ca_crt" -CAkey "$ca_key" -sha256 -days 397 \
		-set_serial "0x$(openssl rand -hex 16)" -extfile "$work/ext.cnf" -out "$work/crt.pem" 2>/dev/null
	cat "$work/crt.pem" "$work/key.pem" >"$work/lb.pem"
	mv -f "$work/lb.pem" "$pem"
	cp "$names" "$issued_for"
	log "wrote $pem for $(paste -sd' ' "$names")"
fi
chmod 0444 "$pem"
