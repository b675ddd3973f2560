"""dask.distributed under the runtime, with Debian's python3-distributed (2022.12) under
/usr/bin/python3; skipped with the reason when distributed cannot be imported there
(`node scripts/test.mjs` installs python3-distributed).

- A LocalCluster run: the main process's events carry the cluster, its two workers (the pids of
  its two spawn children), the 23 tasks that ran and the one transfer.
- 2,000 tasks arrive in batches (a `dtasks` event per flush, not per task).
- The plugin's class goes to a scheduler by value: its pickle loads in an interpreter that has no
  Forkscope on its path.
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import listener as L  # noqa: E402
from support import SCRIPTS, Recorded  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"
PY_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "extension", "python")


def _dask_missing():
    if not os.path.exists(DEBIAN_PYTHON):
        return "no %s" % DEBIAN_PYTHON
    r = subprocess.run([DEBIAN_PYTHON, "-c", "import distributed"], capture_output=True, text=True)
    return None if r.returncode == 0 else "distributed cannot be imported by %s (apt-get install python3-distributed)" % DEBIAN_PYTHON


MISSING = _dask_missing()


def _record(script, *args):
    """Runs test/scripts/SCRIPT under the runtime with Debian's interpreter: (the result, events by pid)."""
    lst = L.Listener(detail_rate=2000, max_processes=1000)
    try:
        r = L.run([os.path.join(SCRIPTS, script), *args], lst, python=DEBIAN_PYTHON, timeout=180, cwd=SCRIPTS)
        lst.wait_idle(10)
        with lst.lock:
            events = {p: list(e) for p, e in lst.events.items()}
    finally:
        lst.close()
    return r, events


@unittest.skipIf(MISSING, MISSING or "")
class DaskLocalCluster(unittest.TestCase):
    def test_cluster_workers_tasks_and_transfer_are_recorded(self):
        r, events = _record("dask_local.py")
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout.decode(), "2470\n1999000\n")
        rec = Recorded(r, events)
        main = [p for p, info in rec.procs.items() if info.get("role") == "main"][0]
        dask = [ev for ev in events[main] if ev[0] in ("dcluster", "dworker", "dworkerend", "dtasks", "dxfer", "dmetrics")]
        cluster = [ev[2] for ev in dask if ev[0] == "dcluster"]
        self.assertEqual(len(cluster), 1)
        self.assertTrue(cluster[0]["local"])
        self.assertEqual(cluster[0]["pid"], main)
        workers = {ev[2]["address"]: ev[2] for ev in dask if ev[0] == "dworker"}
        self.assertEqual(len(workers), 2)
        children = sorted(p for p in rec.procs if p != main and str(rec.procs[p].get("name", "")).startswith("Dask Worker"))
        self.assertEqual(sorted(w["pid"] for w in workers.values()), children)
        tasks = [t for ev in dask if ev[0] == "dtasks" for t in ev[2]["tasks"]]
        self.assertEqual(len(tasks), 23)
        w0, w1 = sorted(workers)
        self.assertEqual(sorted(t[0] for t in tasks if t[1] == w0), sorted(["part", "total"] + ["square"] * 10))
        self.assertEqual(sorted(t[0] for t in tasks if t[1] == w1), ["part"] + ["square"] * 10)
        self.assertTrue(all(t[4] == "memory" and t[2] <= t[3] for t in tasks))
        xfers = [x for ev in dask if ev[0] == "dxfer" for x in ev[2]["transfers"]]
        self.assertEqual([(x[0], x[1], x[5]) for x in xfers], [(w1, w0, "part")])
        left = sorted(ev[2]["address"] for ev in dask if ev[0] == "dworkerend")
        self.assertEqual(left, [w0, w1])

    def test_tasks_come_in_batches(self):
        r, events = _record("dask_many.py", "2000")
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stdout.decode(), "%d\n" % sum(range(1, 2001)))
        batches = [ev[2]["tasks"] for evs in events.values() for ev in evs if ev[0] == "dtasks"]
        self.assertEqual(sum(len(b) for b in batches), 2000)
        self.assertLess(len(batches), 200, "one dtasks event per 0.1 s, not per task")

    def test_plugin_pickles_by_value(self):
        dump = (
            "import sys; sys.path.insert(0, %r)\n"
            "from forkscope_runtime import dask_support\n"
            "from distributed.protocol.pickle import dumps\n"
            "p = dask_support.plugin_module().ForkscopeSchedulerPlugin('forkscope-1-1', 1, 'Client-x')\n"
            "sys.stdout.buffer.write(dumps(p))\n"
        ) % PY_ROOT
        blob = subprocess.run([DEBIAN_PYTHON, "-c", dump], capture_output=True, check=True).stdout
        load = (
            "import sys\n"
            "from distributed.protocol.pickle import loads\n"
            "p = loads(sys.stdin.buffer.read())\n"
            "print(type(p).__name__, p.name, 'forkscope_runtime' in sys.modules, any('extension/python' in x for x in sys.path))\n"
        )
        r = subprocess.run([DEBIAN_PYTHON, "-I", "-c", load], input=blob, capture_output=True, check=True)
        self.assertEqual(r.stdout.decode().split(), ["ForkscopeSchedulerPlugin", "forkscope-1-1", "False", "False"])


if __name__ == "__main__":
    unittest.main()
