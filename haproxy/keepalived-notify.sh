#!/bin/sh
# keepalived calls this on every VRRP transition: notify TYPE NAME STATE PRIORITY.
# The line goes to the file the entrypoint follows into the container's log.
umask 022
printf '%s keepalived transition: %s %s -> %s (priority %s)\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" "$3" "${4:-?}" >>/run/keepalived-notify/transitions.log
