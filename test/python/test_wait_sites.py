"""The call site of a wait that lasted (`ws`) and the pool ref of `pool.result` waits:
what the deadlock detector names as the line to change (docs/runtime-protocol.md)."""

import os
import unittest

from test.python.support import RuntimeCase, script_path


def line_of(script, marker):
    with open(script_path(script)) as f:
        for i, text in enumerate(f, 1):
            if marker in text:
                return i
    raise AssertionError(marker)


class WaitSiteTest(RuntimeCase):
    def test_a_long_join_names_the_join_line_and_a_short_wait_costs_no_lookup(self):
        r = self.record("insights/join_before_drain.py", "1")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        main = r.main()
        evs = r.events[main]
        joins = [e for e in evs if e[0] == "w" and e[2] == "join"]
        sites = [e for e in evs if e[0] == "ws"]
        # The one that timed out, and the one after the drain when it lasted waitMs (1 ms): the child
        # may well have ended while the parent read its 1 MiB, and a shorter join is only counted.
        self.assertIn(len(joins), (1, 2), joins)
        self.assertEqual(joins[0][4], "stuck-writer")
        # One site, for the long join only (the second join is over in well under 0.2 s).
        self.assertEqual(len(sites), 1, sites)
        ws = sites[0]
        self.assertEqual(ws[2], joins[0][1], "matched to its wait by the start time")
        self.assertGreaterEqual(ws[1] - ws[2], 0.2)
        self.assertEqual(os.path.basename(ws[3]), "join_before_drain.py")
        self.assertEqual(ws[4], line_of("insights/join_before_drain.py", "p.join(timeout=patience)"))

    def test_a_pool_result_wait_names_its_pool(self):
        r = self.record("insights/pool_worker_died.py", "1")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        main = r.main()
        pools = [e[2] for e in r.events[main] if e[0] == "pool"]
        self.assertEqual(len(pools), 1)
        waits = [e for e in r.events[main] if e[0] == "w" and e[2] == "pool.result"]
        self.assertTrue(waits, r.events[main])
        self.assertEqual({w[3] for w in waits}, {pools[0]["ref"]})
        site = [e for e in r.events[main] if e[0] == "ws"]
        self.assertEqual([e[4] for e in site], [line_of("insights/pool_worker_died.py", "result.get(timeout=patience)")])


if __name__ == "__main__":
    unittest.main()
