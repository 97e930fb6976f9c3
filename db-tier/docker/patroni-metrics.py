#!/usr/bin/env python3
"""Patroni's own metrics, and nothing else of its REST API, for Prometheus.

Patroni's REST API listens on one address, the database members' own network, where its
unsafe endpoints (switchover, restart, reinitialise) are. This answers GET /metrics on the
member's operations address with what Patroni's /metrics says at that moment; every other
method and path gets 404 or 405, so joining the operations network gives Prometheus no
way to act on the cluster. The lines of EXTRA_FILE, when it exists (member-watch.py's), are
added after Patroni's.

Usage: patroni-metrics.py LISTEN_ADDRESS:PORT PATRONI_METRICS_URL [EXTRA_FILE]
"""

import http.server
import sys
import urllib.request

UPSTREAM_TIMEOUT_SECONDS = 4


class MetricsOnly(http.server.BaseHTTPRequestHandler):
    upstream = ""
    extra = None

    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        try:
            with urllib.request.urlopen(self.upstream, timeout=UPSTREAM_TIMEOUT_SECONDS) as answer:
                body = answer.read()
                content_type = answer.headers.get("Content-Type", "text/plain; version=0.0.4")
        except OSError as failure:
            self.send_error(502, "Patroni did not answer: %s" % failure)
            return
        if self.extra:
            try:
                with open(self.extra, "rb") as extra:
                    body = body.rstrip(b"\n") + b"\n" + extra.read()
            except FileNotFoundError:
                pass
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.send_error(405)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD

    def log_message(self, format, *args):
        pass


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: patroni-metrics.py LISTEN_ADDRESS:PORT PATRONI_METRICS_URL [EXTRA_FILE]")
    host, _, port = sys.argv[1].rpartition(":")
    MetricsOnly.upstream = sys.argv[2]
    MetricsOnly.extra = sys.argv[3] if len(sys.argv) == 4 else None
    http.server.ThreadingHTTPServer((host, int(port)), MetricsOnly).serve_forever()


if __name__ == "__main__":
    main()
