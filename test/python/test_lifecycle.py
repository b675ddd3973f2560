"""Process tree, roles, start methods, targets, exit codes, joins, reaping,
zombie timing and orphans, under every start method, from real runs."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, SCRIPTS, RuntimeCase  # noqa: E402


class _Lifecycle:
    method = None
    rec = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "lifecycle.py", cls.method)
        cls.orphan = cls.record(cls, "orphan.py", cls.method)
        cls.zombie = cls.record(cls, "zombie.py", cls.method)

    def test_script_ran_unchanged(self):
        r = self.rec
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout.split(), "ok 0 boom 1 three 3 killed -9 termed -15 zombie 0 nested 0".split())
        self.assertEqual(r.refused, 0)

    def test_tree_and_identity(self):
        r = self.rec
        main = r.main()
        self.assertEqual(r.procs[main]["role"], "main")
        self.assertEqual(r.procs[main]["argv"][1:], [self.method])
        for name in ("ok", "boom", "three", "zombie", "nested"):
            pid = r.by_name(name)
            info = r.procs[pid]
            self.assertEqual(r.parent(pid), main, name)
            self.assertEqual(info["role"], "process")
            self.assertEqual(info["startMethod"], self.method)
            self.assertRegex(info["target"], r"^(__main__|__mp_main__)\.")
            self.assertEqual(os.path.basename(info["file"]), "lifecycle.py")
            self.assertIsInstance(info["line"], int)
            self.assertEqual(r.of_type(pid, "run")[0][2], info["key"])
        self.assertEqual(r.procs[r.by_name("ok")]["target"].split(".")[-1], "ok")
        grand = r.by_name("grandchild")
        self.assertEqual(r.parent(grand), r.by_name("nested"))

    def test_exit_codes_and_errors(self):
        r = self.rec
        main = r.main()
        reaps = {e[2]: e[3] for e in r.of_type(main, "reap")}
        started = {e[2]: e[3] for e in r.of_type(main, "started")}
        creates = {e[2]["name"]: e[2]["key"] for e in r.of_type(main, "create")}
        codes = {name: reaps[started[key]] for name, key in creates.items()}
        self.assertEqual(codes, {"ok": 0, "boom": 1, "three": 3, "killed": -9, "termed": -15, "zombie": 0, "nested": 0})
        boom = r.by_name("boom")
        self.assertEqual(r.of_type(boom, "runend")[0][2], "ValueError: bad input")
        self.assertEqual(r.of_type(boom, "exit")[0][2], 1)
        three = r.by_name("three")
        self.assertEqual(r.of_type(three, "runend")[0][2], None)
        self.assertEqual(r.of_type(three, "exit")[0][2], 3)
        self.assertEqual(r.of_type(r.by_name("ok"), "exit")[0][2], 0)
        ex = r.of_type(main, "exit")
        self.assertEqual(len(ex), 1)
        self.assertEqual(ex[0][2], 0)
        self.assertGreater(ex[0][3], 0)
        self.assertGreater(ex[0][4], 1 << 20)
        # The children it still had at exit (every one joined; a start method's helpers still run), all heard from:
        # the supervisor waits after the run only for a child that has not connected yet.
        if sys.platform == "linux":
            left = ex[0][5]
            self.assertIsInstance(left, list)
            self.assertLessEqual(set(left), set(r.procs), left)
            self.assertEqual([r.procs[k]["role"] for k in left if r.procs[k]["role"] not in ("forkserver", "resource-tracker")], [])

    def test_joins_and_zombie_time(self):
        r = self.rec
        main = r.main()
        joins = {e[2]: e for e in r.of_type(main, "join")}
        creates = {e[2]["name"]: e[2]["key"] for e in r.of_type(main, "create")}
        self.assertEqual(set(joins), set(creates.values()))
        for name, key in creates.items():
            j = joins[key]
            self.assertLessEqual(j[3], j[1])
        zr = self.zombie
        self.assertEqual(zr.stdout, "0\n")
        z = zr.by_name("zombie")
        exited = zr.of_type(z, "exit")[0][1]
        zjoin = zr.of_type(zr.main(), "join")
        self.assertEqual(len(zjoin), 1)
        self.assertGreater(zjoin[0][1] - exited, 0.9)  # exited, then joined 1 s later
        self.assertLess(zjoin[0][1] - exited, 5)
        self.assertEqual(zjoin[0][4], 0)
        # The main process waited: sleeps were emitted as waits, the join of the killed ones too.
        waits = r.waits(main)
        self.assertIn("sleep", [w[0] for w in waits])
        slept = sum(w[3] - w[2] for w in waits if w[0] == "sleep")
        self.assertGreater(slept, 0.95)  # 0.3 s + 0.7 s in lifecycle.py
        nested = r.by_name("nested")
        gj = r.of_type(nested, "join")
        self.assertEqual(len(gj), 1)

    def test_orphan(self):
        r = self.orphan
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout, "still here\n")
        middle, grand = r.by_name("middle"), r.by_name("grandchild")
        self.assertEqual(r.parent(grand), middle)
        # The middle process left through os._exit, which says so (`ended`) and sends its exit event
        # first (exit code 0); its parent reaped it while the
        # grandchild still ran, and the grandchild's exit comes later.
        main = r.main()
        reap = [e for e in r.of_type(main, "reap") if e[2] == middle]
        self.assertEqual(len(reap), 1)
        self.assertEqual([e[2:] for e in r.of_type(middle, "ended")], [["os._exit", "0"]])
        mexit = r.of_type(middle, "exit")
        self.assertEqual([e[2] for e in mexit], [0])
        gexit = r.of_type(grand, "exit")[0]
        self.assertGreater(gexit[1], reap[0][1] + 0.5)
        # Its create names the middle process as parent even if its own ppid already changed.
        self.assertEqual(r.creates[r.procs[grand]["key"]][0], middle)


class _Roles:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "pools.py", cls.method)

    def test_roles(self):
        r = self.rec
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        main = r.main()
        pool_workers = r.by_role("pool-worker")
        self.assertGreaterEqual(len(pool_workers), 3)  # 2 + replacements of the maxtasksperchild pool
        for pid in pool_workers:
            self.assertEqual(r.parent(pid), main)
            self.assertEqual(r.procs[pid]["target"], "multiprocessing.pool.worker")
            self.assertTrue(r.procs[pid]["file"].endswith(os.path.join("multiprocessing", "pool.py")))
        self.assertTrue(1 <= len(r.by_role("executor-worker")) <= 2)
        if self.method != "fork":
            self.assertEqual(len(r.by_role("resource-tracker")), 1)
        if self.method == "forkserver":
            fs = r.by_role("forkserver")
            self.assertEqual(len(fs), 1)
            self.assertEqual(r.procs[fs[0]]["ppid"], main)


class ManagerRoleTest(RuntimeCase):
    def test_manager_role(self):
        r = self.record("flows.py", "fork")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        m = r.by_role("manager")
        self.assertEqual(len(m), 1)
        self.assertEqual(r.parent(m[0]), r.main())
        self.assertTrue(r.procs[m[0]]["target"].endswith("_run_server"))


class ProcessCapTest(RuntimeCase):
    def test_max_processes(self):
        for m in ("fork", "spawn"):
            with self.subTest(method=m):
                r = self.record("many.py", m, max_processes=2)
                self.assertEqual(r.result.returncode, 0, r.result.stderr)
                self.assertEqual(r.stdout.split("\n")[:5], ["child %d" % i for i in range(5)])
                self.assertEqual(len(r.by_role("process")), 2)
                self.assertEqual(len(r.of_type(r.main(), "create")), 2)
                warns = [w for _, w in r.warns if w[2] == "max-processes"]
                self.assertEqual(len(warns), 1)


class PlainForkTest(RuntimeCase):
    def test_os_fork_children(self):
        r = self.record("plainfork.py")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout, "[7, 8]\n")
        # On 3.12+ forking with a second thread warns: the runtime's flusher must not cause that.
        self.assertEqual(r.result.stderr, self.plain("plainfork.py").stderr)
        forks = r.by_role("fork")
        self.assertEqual(len(forks), 3)
        main = r.main()
        kids = [p for p in forks if r.procs[p]["ppid"] == main]
        self.assertEqual(len(kids), 2)
        grand = [p for p in forks if r.procs[p]["ppid"] in kids]
        self.assertEqual(len(grand), 1)


class ReapCpuTest(RuntimeCase):
    """A parent's wait reaps its child with the child's whole CPU (os.waitpid runs as os.wait4): the
    `reap` event carries it, the teardown after the child's own `exit` event included, and it is
    what the parent's own rusage says its children used (test/scripts/reap_cpu.py)."""

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "reap_cpu.py")

    def test_reap_carries_the_whole_cpu(self):
        r = self.rec
        self.assertRan(r, "done\n")
        main = r.main()
        reaps = {e[2]: e for e in r.of_type(main, "reap")}
        kids = [r.by_name("burner-0"), r.by_name("burner-1")] + [p for p in reaps if r.procs.get(p, {}).get("role") == "subprocess"]
        self.assertEqual(len(kids), 3, reaps)
        for pid in kids:
            ev = reaps[pid]
            self.assertEqual(len(ev), 5, ev)
            exit_cpu = r.of_type(pid, "exit")[0][3]
            self.assertGreaterEqual(ev[4], 0.1)
            self.assertGreaterEqual(ev[4], exit_cpu)
        mp_cpu, all_cpu = (float(x) for x in r.result.stderr.decode().split()[1:3])
        self.assertAlmostEqual(reaps[kids[0]][4] + reaps[kids[1]][4], mp_cpu, delta=0.002)
        self.assertAlmostEqual(reaps[kids[2]][4], all_cpu - mp_cpu, delta=0.002)


class LetWorkerFlushTest(unittest.TestCase):
    """A pool's terminate() lets a worker that is on a CPU reach its flush (processes.let_worker_flush):
    it waits while the worker runs, returns once it sleeps, and gives up after its grace."""

    @classmethod
    def setUpClass(cls):
        import listener as L

        if L.PYTHON_ROOT not in sys.path:
            sys.path.insert(0, L.PYTHON_ROOT)

    @staticmethod
    def _state(pid):
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
        return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]

    def _child(self, code):
        import subprocess

        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        self.assertEqual(p.stdout.readline(), b"go\n")  # it is running its loop now
        return p

    @unittest.skipUnless(os.path.exists("/proc/self/stat"), "needs /proc")
    def test_waits_for_a_running_worker_to_sleep(self):
        from forkscope_runtime import processes

        # Spins for 0.3 s of its own CPU time (however long the machine takes to give it that), then sleeps.
        p = self._child("import time, sys\nprint('go', flush=True)\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\ntime.sleep(60)")
        processes.let_worker_flush(p.pid, grace=60)
        self.assertEqual(self._state(p.pid), b"S", "returned while the worker was still running")

    @unittest.skipUnless(os.path.exists("/proc/self/stat"), "needs /proc")
    def test_gives_up_on_a_worker_still_computing(self):
        from forkscope_runtime import processes

        p = self._child("print('go', flush=True)\nwhile True: pass")
        processes.let_worker_flush(p.pid, grace=0.05)
        self.assertIsNone(p.poll(), "it does not stop the worker itself")

    def test_gone_worker(self):
        from forkscope_runtime import processes

        processes.let_worker_flush(2**22 + 12345, grace=60)  # no such pid: returns at once


for _m in METHODS:
    for _base in (_Lifecycle, _Roles):
        _name = _base.__name__.strip("_") + "_" + _m
        globals()[_name] = type(_name, (_base, RuntimeCase), {"method": _m})
del _m, _base, _name

if __name__ == "__main__":
    unittest.main()
