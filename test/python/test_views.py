"""What the inspector's Locks, Shared memory and Manager views are built from,
in real runs: hold intervals of a Lock (`hold` events), shared Value/Array
declarations, and Manager calls per calling process with their round trips
(`calls` and `callTimes` counters)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, RuntimeCase  # noqa: E402


def holds(rec, pid, ref):
    return [(e[3], e[1]) for e in rec.events.get(pid, []) if e[0] == "hold" and e[2] == ref]


class _Locks:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "locks_view.py", cls.method)

    def setUp(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)

    def writers(self):
        return [self.rec.by_name("writer-%d" % w) for w in range(4)]

    def lock_ref(self, name):
        return {l["name"]: l for _, l in self.rec.locks}[name]["ref"]

    def test_output_unchanged(self):
        lines = self.rec.stdout.splitlines()
        self.assertEqual(sorted(lines[:-1]), sorted("worker %d line %d" % (w, i) for w in range(4) for i in range(5)))
        self.assertEqual(lines[-1], "done 7 6 16")

    def test_lock_holds(self):
        r = self.rec
        ref = self.lock_ref("print_lock")
        spans = []
        contended = 0
        for pid in self.writers():
            c = r.ctr[pid]["locks"][ref]
            self.assertEqual(c[0], 5)  # exact acquisitions
            contended += c[1]
            h = holds(r, pid, ref)
            self.assertEqual(len(h), 5, h)  # each hold, well under the budget
            for a, b in h:
                self.assertLessEqual(a, b)
            spans += h
        self.assertGreater(contended, 0)
        spans.sort()
        for (a0, b0), (a1, b1) in zip(spans, spans[1:]):
            self.assertLessEqual(b0, a1 + 1e-4, "holds of one Lock overlap")
        waits = [w for pid in self.writers() for w in r.waits(pid) if w[0] == "lock" and w[1] == ref]
        self.assertTrue(waits)

    def test_rlock_one_hold_per_outer_acquire(self):
        r = self.rec
        ref = self.lock_ref("nested")
        for pid in self.writers():
            self.assertEqual(r.ctr[pid]["locks"][ref][0], 2)
            self.assertEqual(len(holds(r, pid, ref)), 1)

    def test_shared(self):
        sh = {s["name"]: s for _, s in self.rec.shared}
        self.assertEqual((sh["counter"]["kind"], sh["counter"]["typecode"], sh["counter"]["length"], sh["counter"]["bytes"]), ("Value", "i", None, 4))
        self.assertEqual((sh["samples"]["kind"], sh["samples"]["typecode"], sh["samples"]["length"], sh["samples"]["bytes"]), ("Array", "d", 6, 48))
        self.assertEqual((sh["raw"]["kind"], sh["raw"]["typecode"], sh["raw"]["length"], sh["raw"]["lock"]), ("RawArray", "b", 16, False))
        self.assertTrue(sh["counter"]["lock"])


class _NoBudget:
    """With no detail budget, no hold is timed; counts stay exact."""

    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "locks_view.py", cls.method, detail_rate=0)

    def test_counts_exact_without_holds(self):
        r = self.rec
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        ref = {l["name"]: l for _, l in r.locks}["print_lock"]["ref"]
        for w in range(4):
            pid = r.by_name("writer-%d" % w)
            self.assertEqual(r.ctr[pid]["locks"][ref][0], 5)
            self.assertEqual(holds(r, pid, ref), [])


class _Manager:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "manager_calls.py", cls.method)

    def test_calls_per_worker(self):
        r = self.rec
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout, "6 [0, 0, 1, 2, 10, 20]\n")
        for w in range(3):
            pid = r.by_name("caller-%d" % w)
            calls = {k.split(" ", 1)[1]: v for k, v in r.ctr[pid]["calls"].items()}
            self.assertEqual(calls, {"__setitem__": w + 1, "append": 2, "__len__": 1})
            times = {k.split(" ", 1)[1]: v for k, v in r.ctr[pid]["callTimes"].items()}
            self.assertEqual({k: v[0] for k, v in times.items()}, calls)  # every call timed
            for n, secs, mx in times.values():
                self.assertGreater(secs, 0)
                self.assertLessEqual(mx, secs + 1e-9)


for _m in METHODS:
    for _base, _label in ((_Locks, "Locks"), (_NoBudget, "NoBudget"), (_Manager, "Manager")):
        _name = "Test%s_%s" % (_label, _m)
        globals()[_name] = type(_name, (_base, RuntimeCase), {"method": _m})
del _m, _base, _label, _name

if __name__ == "__main__":
    unittest.main()
