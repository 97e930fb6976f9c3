"""A leader that hung past its ttl resumes with a stale view: does it take the key back?

Run in a database member, with Patroni's own etcd v3 code and the cluster's etcd, under a
scope of its own (nothing of the real cluster is touched): member A leads; its lease ends, as
when A hangs past its ttl; member B takes the key; A, still seeing itself as leader, renews.
Prints one JSON line: whether the renewal said A still leads, and who holds the key after.
"""

import json
import sys
import time

import yaml
from patroni.dcs.etcd3 import Etcd3

with open("/tmp/patroni.yml", encoding="utf-8") as config_file:
    etcd_config = yaml.safe_load(config_file)["etcd3"]
scope = "leader-key-renewal-%d" % time.time_ns()


def member(name):
    config = dict(etcd_config)
    config.update(scope=scope, name=name, namespace="/service/", ttl=20, loop_wait=2, retry_timeout=5)
    return Etcd3(config)


a, b = member("a"), member("b")
try:
    assert a.attempt_to_acquire_leader(), "A could not take the free key"
    stale = a.get_cluster()
    assert stale.leader and stale.leader.name == "a", "A does not see itself leading"
    a._client.call_rpc("/lease/revoke", {"ID": a._lease})
    assert b.attempt_to_acquire_leader(), "B could not take the key A's lease left"
    with a._cluster_thread_lock:
        a._cluster, a._cluster_valid_till = stale, time.time() + 60
    renewed = bool(a.update_leader(None))
    holder = b.get_cluster().leader
    print(json.dumps({"renewedByTheStaleLeader": renewed, "keyHolderAfter": holder.name if holder else None}))
finally:
    b._client.deleteprefix(b.client_path(""))
    sys.stdout.flush()
