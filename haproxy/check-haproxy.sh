#!/bin/sh
# keepalived's health check of the local HAProxy: its monitor URI answers 200 while it serves.
exec curl -fsS -o /dev/null --max-time 1.5 http://127.0.0.1:8404/healthz
