#!/bin/bash
# The local HAProxy's health over HTTP: its monitor URI answers 200 while it serves.
# keepalived runs this every second and Docker every few: bash's /dev/tcp costs a fraction of
# the CPU of a curl process, and on loopback a stopped HAProxy refuses at once; one that
# accepts but does not answer fails the read timeout.
{ exec 3<>/dev/tcp/127.0.0.1/8404; } 2>/dev/null || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 1.5 status <&3 || exit 1
[[ $status == "HTTP/1."[01]" 200 "* ]]
