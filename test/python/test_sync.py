"""Locks (acquisitions, contention), shared values, and waits of the main
thread (join, Queue.get, sleep, Event, Barrier) from real runs."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, RuntimeCase  # noqa: E402


class _Sync:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "sync.py", cls.method)

    def setUp(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)

    def test_output(self):
        self.assertEqual(self.rec.stdout, "20 5 late\n")

    def test_lock_declared_and_contended(self):
        r = self.rec
        main = r.main()
        decl = {l["name"]: l for pid, l in r.locks if pid == main}
        self.assertEqual(decl["lock"]["kind"], "Lock")
        self.assertEqual(os.path.basename(decl["lock"]["file"]), "sync.py")
        self.assertEqual({decl[n]["kind"] for n in ("ev", "barrier", "sem")}, {"Event", "Barrier", "Semaphore"})
        ref = decl["lock"]["ref"]
        total = [0, 0, 0.0]
        for name in ("w0", "w1"):
            c = r.ctr[r.by_name(name)]["locks"][ref]
            total = [total[0] + c[0], total[1] + c[1], total[2] + c[2]]
        self.assertEqual(total[0], 20)  # 10 acquisitions each, exact
        self.assertGreaterEqual(total[1], 1)  # they did contend
        self.assertGreater(total[2], 0.015)  # at least one 20 ms hold was waited for
        # Internal locks (the Value's, the queues') are not reported.
        refs = {k for c in r.ctr.values() for k in c.get("locks", {})}
        self.assertLessEqual(refs, {l["ref"] for _, l in r.locks})
        w = [x for x in r.waits(r.by_name("w0")) + r.waits(r.by_name("w1")) if x[0] == "lock"]
        self.assertTrue(w and all(x[1] == ref for x in w))

    def test_shared(self):
        r = self.rec
        sh = {s["name"]: s for _, s in r.shared}
        self.assertEqual((sh["counter"]["kind"], sh["counter"]["typecode"], sh["counter"]["bytes"]), ("Value", "i", 4))
        self.assertEqual((sh["arr"]["kind"], sh["arr"]["typecode"], sh["arr"]["length"], sh["arr"]["bytes"]), ("Array", "d", 5, 40))
        self.assertEqual(len(r.shared), 2)

    def test_main_waits(self):
        r = self.rec
        main = r.main()
        waits = r.waits(main)
        kinds = [w[0] for w in waits]
        short = r.ctr[main].get("waits", {})  # waits shorter than waitMs are only counted
        for what in ("join", "event", "barrier", "queue.get", "sleep"):
            self.assertTrue(what in kinds or what in short, (what, kinds, short))
        for w in waits:
            self.assertIsNotNone(w[3], w)
            self.assertLessEqual(w[2], w[3])
        sleeper_key = r.procs[r.by_name("sleeper")]["key"]
        j = [w for w in waits if w[0] == "join" and w[1] == sleeper_key]
        self.assertEqual(len(j), 1)
        self.assertGreater(j[0][3] - j[0][2], 0.2)
        q = [w for w in waits if w[0] == "queue.get"]
        self.assertEqual(len(q), 1)
        self.assertGreater(q[0][3] - q[0][2], 0.1)
        self.assertEqual(q[0][1][0], "p")
        ev = [w for w in waits if w[0] == "event"]
        self.assertGreater(ev[0][3] - ev[0][2], 0.1)
        sl = [w for w in waits if w[0] == "sleep"]
        self.assertGreater(sl[-1][3] - sl[-1][2], 0.2)
        # Nested waits are reported once: no lock/semaphore/condition waits under them in main.
        self.assertNotIn("condition", kinds)
        # Waits never overlap in one process.
        spans = sorted((w[2], w[3]) for w in waits)
        for a, b in zip(spans, spans[1:]):
            self.assertLessEqual(a[1], b[0] + 1e-6)


class HelperThreadsTest(RuntimeCase):
    """Queue feeders and Pool handler threads never make the main process look waiting."""

    def test_only_main_thread_waits(self):
        r = self.record("flows.py", "fork")
        self.assertEqual(r.result.returncode, 0)
        main = r.main()
        for w in r.waits(main):
            self.assertIn(w[0], {"join", "queue.get", "recv", "pool.result", "future.result", "manager", "sleep", "condition"})  # condition: JoinableQueue.join
        # The main thread waited for the pool's results once (map) and for futures.
        kinds = [w[0] for w in r.waits(main)] + list(r.ctr[main].get("waits", {}))
        self.assertIn("pool.result", kinds)
        self.assertIn("future.result", kinds)
        self.assertIn("manager", kinds)


class LockNamesTest(unittest.TestCase):
    """A user's lock is told from multiprocessing's own by its name, in every process: a random name
    that happens to end like the mark is not a user's lock (it once counted a Value's lock)."""

    def test_marked_names(self):
        import multiprocessing.synchronize as ms

        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "extension", "python"))
        from forkscope_runtime import locks

        plain = ms.SemLock._make_name()
        self.assertFalse(locks._is_marked(plain))
        self.assertTrue(locks._is_marked(plain + locks.MARK))
        prefix = plain.rsplit("-", 1)[0]
        self.assertFalse(locks._is_marked(prefix + "-abcdef" + locks.MARK), "8 random characters ending in the mark")


for _m in METHODS:
    _name = "Sync_" + _m
    globals()[_name] = type(_name, (_Sync, RuntimeCase), {"method": _m})
del _m, _name

if __name__ == "__main__":
    unittest.main()
