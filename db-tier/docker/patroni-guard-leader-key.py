#!/usr/bin/env python3
"""Makes Patroni 3.0.2's renewal of the leader key in etcd v3 conditional. Run once, at build.

A leader renews its key with its lease. When the lease it holds is not the key's (the lease
expired while the leader hung, or a new ttl gave it a new one), Debian's Patroni 3.0.2 writes
the key unconditionally. A leader that hung past its ttl, whose replica was promoted
meanwhile, resumes with the cluster as it last saw it (itself leading), renews, and so takes
the key from the new leader: the new leader demotes itself, and the old one drops it as
synchronous standby (orders it acknowledged while it led are left on a demoted member).

After this change the leader writes its key only if the key still holds its name (a new lease
for its own key, as after a change of ttl), or if there is no key. Otherwise the renewal fails,
and Patroni demotes the member, as for any leader that lost its key. An etcd error keeps the
old behaviour (the next cycle tries again). Patroni fixed this upstream after 3.0.2, in the
same way; the build fails here if the code it edits is not exactly the one expected.

Usage: patroni-guard-leader-key.py PATH_TO_PATRONI_DCS_ETCD3_PY
"""

import sys

UNCONDITIONAL = """\
                try:
                    self._run_and_handle_exceptions(self._client.put, self.leader_path,
                                                    self._name, self._lease, retry=_retry)
                except ReturnFalseException:
                    pass
"""

CONDITIONAL = """\
                try:
                    key, name = base64_encode(self.leader_path), base64_encode(self._name)
                    written = self._run_and_handle_exceptions(
                        self._client.txn, {'key': key, 'target': 'VALUE', 'value': name},
                        {'request_put': {'key': key, 'value': name, 'lease': self._lease}}, retry=_retry)
                    if not written:
                        written = self._run_and_handle_exceptions(
                            self._client.put, self.leader_path, self._name, self._lease,
                            create_revision='0', retry=_retry)
                    if not written:
                        logger.warning('the leader key holds another member: not renewed')
                        return False
                except ReturnFalseException:
                    pass
"""


def main(path):
    with open(path, encoding="utf-8") as source:
        code = source.read()
    found = code.count(UNCONDITIONAL)
    if found != 1:
        sys.exit(f"{path}: the unconditional renewal of the leader key was found {found} times, not once: "
                 "another Patroni version? Check whether it still needs this change.")
    with open(path, "w", encoding="utf-8") as target:
        target.write(code.replace(UNCONDITIONAL, CONDITIONAL))
    print(f"{path}: the leader key is renewed only if it holds this member's name or is absent")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
