#!/usr/bin/env python3
"""Hands the leader role to the replica when this member cannot reach the app tier.

Patroni decides who leads from etcd and the members' own network. A primary that reaches
both, but not the app nodes (its link to the data network lost), looks healthy to Patroni
while no order can reach it. This watches that link: every PROBE_INTERVAL it opens a TCP
connection to the addresses DNS gives for the app tier's name until one replies; an answer
or a refusal is a reply, silence is not.

- A member that got no reply from any app node in its last round tags itself
  `nofailover` (its Patroni configuration, then a reload), so that it is never chosen to
  lead; it drops the tag after two rounds with a reply.
- A leader that has had no reply for HANDOVER_AFTER asks its Patroni for a switchover to
  the other member, if that member is the synchronous standby, running, and not tagged
  `nofailover` (asked on its own REST API). Patroni takes a reloaded tag at the start of
  its next cycle, up to loop_wait (2 s) later, so HANDOVER_AFTER gives a replica cut off
  at the same moment the time to show its tag. When the replica cannot reach the app tier
  either (the app tier is down, both see the same trouble), the leader stays: never both
  down, and no flapping.
- A name that DNS does not resolve (no app node at all) is no verdict: nothing changes,
  unless this member has lost its own address on the network where the app nodes last
  replied (taken off that network: the name is gone from its DNS too). That is no reply.

After each round it replaces METRICS_FILE, which patroni-metrics.py adds to Patroni's
/metrics: when the last round ended, whether the app tier replied in it, and the tag. A
watcher that stops making rounds shows there (alert MemberWatchStalled); one that exits is
started again by the entrypoint, and takes the tag it finds in the configuration.

Usage: member-watch.py PATRONI_URL PATRONI_CONFIG MEMBER_NAME APP_HOST:PORT METRICS_FILE
"""

import ipaddress
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request

import psutil

PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 0.3
HANDOVER_AFTER = 4.5
RETRY_REFUSED_HANDOVER_AFTER = 5.0
HANDOVER_COOLDOWN = 30.0
GOOD_ROUNDS_TO_UNTAG = 2
REST_TIMEOUT = 2
SWITCHOVER_TIMEOUT = 60
NOFAILOVER = re.compile(r"^(  nofailover: )(true|false)$", re.MULTILINE)


def log(message):
    print("tierstack-member-watch: %s" % message, file=sys.stderr, flush=True)


def own_addresses():
    """This container's IPv4 addresses, with their networks."""
    return [ipaddress.ip_interface("%s/%s" % (entry.address, entry.netmask))
            for entries in psutil.net_if_addrs().values() for entry in entries
            if entry.family == socket.AF_INET and entry.netmask]


def network_towards(address, port):
    """The network of this container's address on the route to the given one (nothing is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((address, port))
            source = ipaddress.ip_address(probe.getsockname()[0])
    except OSError:  # no route
        return None
    return next((own.network for own in own_addresses() if own.ip == source), None)


def app_tier_replies(host, port):
    """True if an app node replied, False if none did, None if the name has no address; and
    the network of this member's address on the way to the node that replied."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror:
        return None, None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        return None, None
    for address in addresses:
        try:
            with socket.create_connection((address, port), timeout=PROBE_TIMEOUT):
                return True, network_towards(address, port)
        except ConnectionRefusedError:
            return True, network_towards(address, port)
        except OSError:
            continue
    return False, None


def on_network(network):
    return any(own.ip in network for own in own_addresses())


def rest(url, body=None, timeout=REST_TIMEOUT):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(errors="replace")


def has_nofailover(config):
    with open(config) as file:
        match = NOFAILOVER.search(file.read())
    return match is not None and match.group(2) == "true"


def write_metrics(path, replies, tagged):
    reachable = {True: "1", False: "0", None: "NaN"}[replies]
    text = ("# HELP tierstack_member_watch_last_round_timestamp_seconds When the member watch last"
            " finished a round.\n"
            "# TYPE tierstack_member_watch_last_round_timestamp_seconds gauge\n"
            "tierstack_member_watch_last_round_timestamp_seconds %.3f\n"
            "# HELP tierstack_member_watch_app_tier_reachable 1 if an app node replied in the last"
            " round, 0 if none did, NaN if DNS named none.\n"
            "# TYPE tierstack_member_watch_app_tier_reachable gauge\n"
            "tierstack_member_watch_app_tier_reachable %s\n"
            "# HELP tierstack_member_watch_nofailover 1 while this member is tagged nofailover.\n"
            "# TYPE tierstack_member_watch_nofailover gauge\n"
            "tierstack_member_watch_nofailover %d\n") % (time.time(), reachable, 1 if tagged else 0)
    with open(path + ".new", "w") as file:
        file.write(text)
    os.replace(path + ".new", path)


def set_nofailover(config, patroni, value):
    with open(config) as file:
        text = file.read()
    changed, count = NOFAILOVER.subn(lambda match: match.group(1) + ("true" if value else "false"), text)
    if count != 1:
        log("no 'nofailover' line in %s: cannot tag this member" % config)
        return False
    # A whole new file, never a half-written one, for Patroni and patronictl to read.
    with open(config + ".new", "w") as file:
        file.write(changed)
    os.replace(config + ".new", config)
    status, _ = rest(patroni + "/reload", body={})
    log("no reply from the app tier: tagged nofailover" if value
        else "the app tier replies again: nofailover tag removed")
    return status < 300


def handover_candidate(patroni, me):
    """The member to hand over to, or None with the reason."""
    _, body = rest(patroni + "/cluster")
    members = json.loads(body).get("members", [])
    others = [m for m in members if m.get("name") != me]
    if not others:
        return None, "no other member"
    other = others[0]
    if other.get("role") != "sync_standby" or other.get("state") not in ("running", "streaming"):
        return None, "%s is %s and %s" % (other.get("name"), other.get("role"), other.get("state"))
    _, own_view = rest(other["api_url"])
    if json.loads(own_view).get("tags", {}).get("nofailover"):
        return None, "%s cannot reach the app tier either" % other["name"]
    return other["name"], None


def is_leader(patroni):
    _, body = rest(patroni + "/patroni")
    return json.loads(body).get("role") in ("master", "primary")


def main():
    patroni, config, me, app, metrics = sys.argv[1:6]
    host, port = app.rsplit(":", 1)
    port = int(port)
    tagged = has_nofailover(config)
    good_rounds = 0
    silent_since = None
    next_handover = 0.0
    network = None  # of this member's address that last reached an app node
    lost = None  # that network, while this member has no address on it
    log("watching the app tier at %s:%d for member %s%s"
        % (host, port, me, " (tagged nofailover)" if tagged else ""))
    while True:
        started = time.monotonic()
        try:
            if network is not None and not on_network(network):
                log("no address on %s, where the app tier replied: off its network" % network)
                lost, network = network, None
            if lost is not None and on_network(lost):
                log("an address on %s again" % lost)
                lost = None
            if lost is not None:
                # No lookup: the app tier's name left this member's DNS with the network.
                replies = False
            else:
                replies, reached_by = app_tier_replies(host, port)
                if replies:
                    network = reached_by
            if replies is False:
                good_rounds = 0
                silent_since = silent_since or started
                if not tagged:
                    tagged = set_nofailover(config, patroni, True)
                if started - silent_since >= HANDOVER_AFTER and started >= next_handover and is_leader(patroni):
                    candidate, reason = handover_candidate(patroni, me)
                    if candidate is None:
                        log("no reply from the app tier for %.1f s; staying leader: %s"
                            % (started - silent_since, reason))
                        next_handover = started + RETRY_REFUSED_HANDOVER_AFTER
                    else:
                        log("no reply from the app tier for %.1f s; switching over to %s"
                            % (started - silent_since, candidate))
                        status, body = rest(patroni + "/switchover", body={"leader": me, "candidate": candidate},
                                            timeout=SWITCHOVER_TIMEOUT)
                        log("switchover answered %d: %s" % (status, body.strip()))
                        next_handover = started + (HANDOVER_COOLDOWN if status < 300
                                                   else RETRY_REFUSED_HANDOVER_AFTER)
            elif replies is None:
                silent_since = None
                good_rounds = 0
            elif replies is True:
                silent_since = None
                good_rounds += 1
                if tagged and good_rounds >= GOOD_ROUNDS_TO_UNTAG:
                    tagged = not set_nofailover(config, patroni, False)
            write_metrics(metrics, replies, tagged)
        except Exception as failure:  # whatever one round meets, the next one tries again
            log("round failed: %r" % failure)
        time.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
