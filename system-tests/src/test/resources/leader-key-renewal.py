"""A leader renews its key with a lease the key does not have: when may it write the key?

Run in a database member, with Patroni's own etcd v3 code and the cluster's etcd, under a
scope of its own (nothing of the real cluster is touched).

- A leader that hung past its ttl resumes with a stale view: member A leads; its lease ends,
  as when A hangs past its ttl; member B takes the key; A, still seeing itself as leader,
  renews. It must not take the key back.
- A leader given a new lease for its own key (as after a change of ttl): B renews with a new
  lease. It must keep the key, now with that lease.

Prints one JSON line with what each renewal returned and who held the key after it, read
from etcd's quorum.
"""

import base64
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


def key_holder(dcs):
    """The leader key's value and lease, by a linearizable read (not a member's cache)."""
    answer = dcs._client.call_rpc("/kv/range", {"key": base64.b64encode(dcs.leader_path.encode()).decode()})
    found = answer.get("kvs") or []
    if not found:
        return None, None
    return base64.b64decode(found[0]["value"]).decode(), str(found[0].get("lease"))


a, b = member("a"), member("b")
leases = []
try:
    assert a.attempt_to_acquire_leader(), "A could not take the free key"
    leases.append(a._lease)
    stale = a.get_cluster()
    assert stale.leader and stale.leader.name == "a", "A does not see itself leading"
    a._client.call_rpc("/lease/revoke", {"ID": a._lease})
    assert b.attempt_to_acquire_leader(), "B could not take the key A's lease left"
    leases.append(b._lease)
    with a._cluster_thread_lock:
        a._cluster, a._cluster_valid_till = stale, time.time() + 60
    renewed_stale = bool(a.update_leader(None))
    leases.append(a._lease)
    holder_after_stale, _ = key_holder(b)

    b.get_cluster()
    b._lease = None
    renewed_own = bool(b.update_leader(None))
    leases.append(b._lease)
    holder_after_own, lease_after_own = key_holder(b)
    print(json.dumps({"renewedByTheStaleLeader": renewed_stale, "keyHolderAfter": holder_after_stale,
                      "renewedWithANewLease": renewed_own, "keyHolderAfterANewLease": holder_after_own,
                      "keyHasTheNewLease": lease_after_own == str(b._lease)}))
finally:
    b._client.deleteprefix(b.client_path(""))
    for lease in filter(None, leases):
        try:
            b._client.call_rpc("/lease/revoke", {"ID": lease})
        except Exception:  # already revoked or expired
            pass
    sys.stdout.flush()
