"""joblib and loky under the runtime.

- loky >= 3.5's launch path (`_posixsubprocess.fork_exec`, no at-fork hooks) against a fixture that
  mirrors upstream loky's files (test/scripts/upstream_loky), under the interpreter running the tests.
- Real joblib runs with Debian's python3-joblib (joblib 1.2, loky 3.3 vendored: os.fork + execve)
  under /usr/bin/python3, both backends; skipped with the reason when joblib cannot be imported
  there (`node scripts/test.mjs` installs python3-joblib).
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import listener as L  # noqa: E402
from support import SCRIPTS, Recorded, RuntimeCase  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"
JOBLIB_SCRIPT = os.path.join(SCRIPTS, "joblib", "parallel.py")


def _joblib_missing():
    if not os.path.exists(DEBIAN_PYTHON):
        return "no %s" % DEBIAN_PYTHON
    r = subprocess.run([DEBIAN_PYTHON, "-c", "import joblib"], capture_output=True, text=True)
    return None if r.returncode == 0 else "joblib cannot be imported by %s (apt-get install python3-joblib)" % DEBIAN_PYTHON


def record_with(python, path, *args, timeout=120):
    lst = L.Listener(detail_rate=2000, max_processes=1000)
    try:
        r = L.run([path] + list(args), lst, python=python, timeout=timeout, cwd=os.path.dirname(path))
        lst.wait_idle(10)
        with lst.lock:
            events = {p: list(e) for p, e in lst.events.items()}
        rec = Recorded(r, events)
        rec.refused = lst.refused
        return rec
    finally:
        lst.close()


def task_totals(rec, pid, ref, jobs=None):
    """(chunks, items) a worker counted on task channel ref (within the job range `jobs`)."""
    chunks = items = 0
    for key, v in rec.ctr.get(pid, {}).get("tasks", {}).items():
        r, job = key.split(" ")
        if r != ref:
            continue
        if jobs is not None and not (jobs[0] <= int(job) <= jobs[1]):
            continue
        chunks += v[0]
        items += v[1]
    return chunks, items


class UpstreamLokyLaunch(RuntimeCase):
    """loky >= 3.5 starts workers with `_posixsubprocess.fork_exec`: the fork_exec wrapper still gets
    the runtime into them (fixture: test/scripts/upstream_loky, mirroring loky 3.5.x's
    loky/backend/fork_exec.py and popen_loky_posix.py)."""

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "loky_upstream_launch.py")
        cls.plain_run = cls.plain(cls, "loky_upstream_launch.py")

    def test_output_unchanged(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)
        self.assertEqual(self.rec.result.stdout, self.plain_run.stdout)
        self.assertEqual(self.rec.result.stderr, self.plain_run.stderr)
        self.assertIn("worker 20 2470", self.rec.stdout)

    def test_workers_join_the_run(self):
        r = self.rec
        main = r.main()
        for name in ("w10", "w20"):
            pid = r.by_name(name)
            info = r.procs[pid]
            self.assertEqual(info["startMethod"], "loky")
            self.assertEqual(info["role"], "process")
            self.assertEqual(r.parent(pid), main)
            self.assertTrue(r.of_type(pid, "run"), name)
            exits = r.of_type(pid, "exit")
            self.assertEqual(len(exits), 1)
            self.assertEqual(exits[0][2], 0)
            key = info["key"]
            self.assertEqual(r.creates[key][0], main)
            self.assertEqual(r.key_pid[key], pid)


class LaunchCommand(unittest.TestCase):
    """The command rewrite itself: only loky's worker module, wherever `-m` is."""

    def setUp(self):
        sys.path.insert(0, L.PYTHON_ROOT)
        from forkscope_runtime import emitter as E
        from forkscope_runtime import joblib_support as J

        self.J = J
        self.E = E
        self.cfg = E.cfg
        E.cfg = type("Cfg", (), {"root": "/the/runtime"})()

    def tearDown(self):
        self.E.cfg = self.cfg
        sys.path.remove(L.PYTHON_ROOT)

    def test_rewrite(self):
        for mod in ("joblib.externals.loky.backend.popen_loky_posix", "loky.backend.popen_loky_posix"):
            for flags in ([], ["-X", "utf8", "-bb"]):
                cmd = ["/usr/bin/python3"] + flags + ["-m", mod, "--process-name", "LokyProcess-1", "--pipe", "7"]
                out = self.J.launch_command(cmd)
                i = len(flags) + 1
                self.assertEqual(out[:i], cmd[:i])
                self.assertEqual(out[i], "-c")
                self.assertIn("install_spawned", out[i + 1])
                self.assertTrue(out[i + 1].endswith("_run_module_as_main(%r)\n" % mod))
                self.assertEqual(out[i + 2 :], ["--process-name", "LokyProcess-1", "--pipe", "7"])
        for other in (["/usr/bin/python3", "-m", "pip", "list"], ["/usr/bin/python3", "-c", "print(1)"], ["/bin/true"]):
            self.assertEqual(self.J.launch_command(other), other)


@unittest.skipIf(_joblib_missing(), _joblib_missing() or "")
class DebianJoblib(unittest.TestCase):
    """Debian's joblib 1.2 (loky 3.3: os.fork + execve) under /usr/bin/python3, both backends."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.runs = {}
        for backend in ("loky", "multiprocessing"):
            rec = record_with(DEBIAN_PYTHON, JOBLIB_SCRIPT, backend, "4", "2" if backend == "loky" else "1")
            plain = L.run_plain([JOBLIB_SCRIPT, backend, "4", "2" if backend == "loky" else "1"], python=DEBIAN_PYTHON, cwd=os.path.dirname(JOBLIB_SCRIPT))
            cls.runs[backend] = (rec, plain)

    def _batches(self, out):
        """[(tasks, batches)] per Parallel call, as the script printed them (joblib's own counts)."""
        rows = []
        for line in out.splitlines():
            w = line.split()
            rows.append((int(w[2]), int(w[4])))
        return rows

    def test_output_unchanged(self):
        for backend, (rec, plain) in self.runs.items():
            self.assertEqual(rec.result.returncode, 0, rec.result.stderr)
            self.assertEqual(rec.result.stdout, plain.stdout, backend)
            self.assertEqual(rec.result.stderr, plain.stderr, backend)

    def test_loky_workers_and_pools(self):
        rec, _ = self.runs["loky"]
        main = rec.main()
        workers = rec.by_role("executor-worker")
        self.assertEqual(len(workers), 2)
        for pid in workers:
            self.assertEqual(rec.procs[pid]["startMethod"], "loky")
            self.assertEqual(rec.parent(pid), main)
            self.assertEqual(rec.of_type(pid, "exit")[0][2], 0)
        # one pool per Parallel call on the same (reused) executor queues, told apart by work ids
        final = {}
        for pid, info in rec.pools:
            final[info["ref"]] = info
        pools = sorted(final.values(), key=lambda p: p["jobs"][0])
        self.assertEqual(len(pools), 2)
        self.assertTrue(all(p["kind"] == "executor" and p["processes"] == 2 for p in pools))
        self.assertEqual(pools[0]["tasks"], pools[1]["tasks"])
        calls = self._batches(rec.stdout)
        self.assertEqual([c[0] for c in calls], [40, 41])
        for pool, (tasks, batches) in zip(pools, calls):
            first, last = pool["jobs"]
            self.assertEqual(last - first + 1, batches)
            chunks = items = 0
            for pid in workers:
                c, n = task_totals(rec, pid, pool["tasks"], pool["jobs"])
                chunks += c
                items += n
            self.assertEqual((items, chunks), (tasks, batches))
            pcalls = [c for _p, c in rec.pcalls if c["pool"] == pool["ref"]]
            self.assertEqual([(c["method"], c["tasks"], c["chunksize"], c["batches"]) for c in pcalls], [("Parallel", tasks, 4, batches)])

    def test_loky_messages_per_worker(self):
        """Every batch crosses the call queue to the worker that ran it and its result comes back:
        main -> worker = its batches (+ the shutdown sentinel), worker -> main = its batches."""
        rec, _ = self.runs["loky"]
        main = rec.main()
        pool = [info for _pid, info in rec.pools][-1]
        total = sum(b for _t, b in self._batches(rec.stdout))
        got = 0
        for pid in rec.by_role("executor-worker"):
            chunks, _ = task_totals(rec, pid, pool["tasks"])
            got += chunks
            into = rec.flows(pool["tasks"]).get((main, pid), 0)
            self.assertIn(into, (chunks, chunks + 1), pid)
            self.assertEqual(rec.flows(pool["results"]).get((pid, main), 0), chunks, pid)
        self.assertEqual(got, total)

    def test_multiprocessing_backend(self):
        rec, _ = self.runs["multiprocessing"]
        main = rec.main()
        # The pool's two workers, from the parent's own account (create, started): a worker the pool
        # terminates before it has booted (forkserver, under load) takes no batch and never speaks.
        created = {k: info for k, (_pid, info) in rec.creates.items() if info.get("role") == "pool-worker"}
        self.assertEqual(len(created), 2)
        workers = sorted(rec.key_pid[k] for k in created)
        self.assertLessEqual(set(rec.by_role("pool-worker")), set(workers))
        (tasks, batches), = self._batches(rec.stdout)
        self.assertEqual(tasks, 40)
        pool = [info for _pid, info in rec.pools][-1]
        self.assertEqual(pool["kind"], "pool")
        self.assertEqual(pool["name"], "results")
        chunks = items = 0
        for pid in workers:
            # joblib's Pool uses multiprocessing's default context: fork, or forkserver as on 3.14 (the test layer's second pass)
            key = next(k for k in created if rec.key_pid[k] == pid)
            method = os.environ.get("FORKSCOPE_TEST_DEFAULT_START_METHOD") or "fork"
            self.assertEqual(created[key]["startMethod"], method)
            if pid in rec.procs:
                self.assertEqual(rec.procs[pid]["startMethod"], method)
            c, n = task_totals(rec, pid, pool["tasks"])
            chunks += c
            items += n
            # its batches, and the stop sentinel when it read it before Pool.terminate() ended it
            self.assertIn(rec.flows(pool["tasks"]).get((main, pid), 0), (c, c + 1), pid)
            self.assertEqual(rec.flows(pool["results"]).get((pid, main), 0), c, pid)
        self.assertEqual((items, chunks), (40, batches))
        pcalls = [c for _p, c in rec.pcalls if c["pool"] == pool["ref"]]
        self.assertEqual([(c["method"], c["tasks"], c["batches"]) for c in pcalls], [("Parallel", 40, batches)])

    def test_a_result_is_trailed_in_its_own_buffer(self):
        """loky's dumps under the runtime (loky_dumps.py): the trailer goes into the pickle's own
        buffer, so a result of megabytes is not copied for 16 bytes; an object that cannot be
        pickled raises as it does without Forkscope, from the same frame."""
        script = os.path.join(SCRIPTS, "joblib", "loky_dumps.py")
        rec = record_with(DEBIAN_PYTHON, script)
        plain = L.run_plain([script], python=DEBIAN_PYTHON, cwd=os.path.dirname(script))
        self.assertEqual(rec.result.returncode, 0, rec.result.stderr)
        lines = rec.stdout.splitlines()
        self.assertEqual(lines[0], "memoryview True True True True")
        self.assertEqual(rec.result.stdout.splitlines()[1], plain.stdout.splitlines()[1])

    def test_sending_a_result_waits_for_the_write_lock(self):
        """Two workers send 16 MiB results at the same moment (big_results.py): the one that finds
        the result queue's write lock taken waits, a `queue.put` wait of that worker, with loky's
        own Lock and with joblib's CustomizablePicklingQueue alike, whether numpy is there (the queue
        has joblib's reducers and its own send) or not (it sends with Connection.send)."""
        script = os.path.join(SCRIPTS, "joblib", "big_results.py")
        has_numpy = subprocess.run([DEBIAN_PYTHON, "-c", "import numpy"], capture_output=True).returncode == 0
        cases = [("loky", "executor-worker", []), ("multiprocessing", "pool-worker", ["no-numpy"])]
        if has_numpy:  # (the test layer installs Debian's python3-numpy beside joblib)
            cases.append(("multiprocessing", "pool-worker", []))
        for backend, role, extra in cases:
            rec = record_with(DEBIAN_PYTHON, script, backend, *extra)
            self.assertEqual(rec.result.returncode, 0, rec.result.stderr)
            self.assertEqual(rec.stdout.split()[0], backend)
            workers = rec.by_role(role)
            self.assertEqual(len(workers), 2, backend)
            # a long wait is an emitted `w`, a short one adds to the `waits` counter
            put = [rec.ctr.get(pid, {}).get("waits", {}).get("queue.put", 0) + sum(1 for w in rec.waits(pid) if w[0] == "queue.put") for pid in workers]
            self.assertTrue(any(x > 0 for x in put), "%s %s: queue.put waits %s" % (backend, extra, put))


if __name__ == "__main__":
    unittest.main()
