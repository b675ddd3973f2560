"""Blocked sites, peaks and the flusher's footprint: a child stuck at exit while its Queue's feeder cannot
flush is reported (`bk` with what "exit-flush" and the queue's ref) under every start method; a main
thread computing in a loop is not a blocked site, one asleep in a C call is; a spawn
child's `exit` peak is its own (VmHWM), not the parent's carried across exec; while the main thread
computes, the flusher keeps no new int or float alive from one tick to the next."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, RuntimeCase  # noqa: E402


class _StuckWriter:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "states/stuck_writer.py", cls.method)

    def test_exit_flush_is_named(self):
        r = self.rec
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout.split(), ["1048576", "0"])
        writer = r.by_name("writer")
        bks = [e for e in r.events[writer] if e[0] == "bk"]
        flush = [e for e in bks if e[3] == "exit-flush"]
        self.assertTrue(flush, bks)
        t, t_begin, what, ref, detail = flush[0][1:6]
        self.assertLessEqual(t_begin, t)
        self.assertIn("feeder", detail)
        q = [info for pid, info in r.chans if info.get("name") == "q"]
        self.assertTrue(q, r.chans)
        self.assertIn(ref, q[0]["refs"])
        # It was found stuck while the parent waited in join() (its 2 s timeout), well before its exit.
        exit_t = [e for e in r.events[writer] if e[0] == "exit"][0][1]
        self.assertGreater(exit_t - t_begin, 1.0)


for _m in METHODS:
    globals()["TestStuckWriter_" + _m] = type("TestStuckWriter_" + _m, (_StuckWriter, RuntimeCase), {"method": _m})


class TestComputingIsNotBlocked(RuntimeCase):
    def test_a_loop_is_not_a_blocked_site_a_sleep_in_c_is(self):
        # 0.8 s of a loop calling work() again and again (the flusher can find the same frame address at
        # the same instruction tick after tick), then 0.6 s asleep in select(): one blocked site, the sleep.
        r = self.record("states/cpu_loop.py")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        bks = [e for e in r.events[r.main()] if e[0] == "bk"]
        self.assertEqual([e[5] for e in bks], ["cpu_loop.<module>"], bks)
        t, t_begin, what = bks[0][1:4]
        self.assertEqual(what, "frame")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "states", "cpu_loop.py")) as f:
            line = [i for i, text in enumerate(f, 1) if "select.select(" in text][0]
        self.assertEqual(bks[0][7], line)
        outs = [e for e in r.events[r.main()] if e[0] == "out"]
        self.assertGreaterEqual(outs[0][1] - t_begin, 0.5, "found from when the sleep began")


class TestFlusherKeepsNothingNew(RuntimeCase):
    def test_no_int_or_float_replaced_while_the_main_thread_computes(self):
        # The flusher ticks about 25 times during the loop; a value it kept from one tick to the next
        # (the stuck check's time, the last flush's time, the refilled budget) would be listed.
        r = self.record("states/flusher_idle.py")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout.split("\n"), ["done", ""])


@unittest.skipUnless(os.path.exists("/proc/self/status"), "VmHWM needs Linux")
class TestPeakAcrossExec(RuntimeCase):
    def test_spawn_child_peak_is_its_own(self):
        r = self.record("states/spawn_peak.py")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        child = r.by_name("spawned")
        child_rss = [e for e in r.events[child] if e[0] == "exit"][0][4]
        main_rss = [e for e in r.events[r.main()] if e[0] == "exit"][0][4]
        self.assertGreater(main_rss, 80 << 20)
        self.assertLess(child_rss, main_rss - (50 << 20))


if __name__ == "__main__":
    unittest.main()
