"""The script runs exactly as without Forkscope: same stdout/stderr bytes
(tracebacks included), same exit code, `-m` too; the runtime is absent
without FORKSCOPE_RUNTIME; the supervisor going away does not disturb the
script; hook failures stay inside the runtime; install/uninstall are exact."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import listener as L  # noqa: E402
from support import METHODS, SCRIPTS, RuntimeCase  # noqa: E402

PY = os.environ.get("FORKSCOPE_TEST_PYTHON") or sys.executable


class IdenticalOutputTest(RuntimeCase):
    def compare(self, *args):
        plain = self.plain(*args)
        rec = self.record(*args)
        r = rec.result
        self.assertEqual(r.stdout, plain.stdout, args)
        self.assertEqual(r.stderr.decode(errors="replace"), plain.stderr.decode(errors="replace"), args)
        self.assertEqual(r.returncode, plain.returncode, args)
        self.assertGreater(len(rec.events), 1, "the runtime recorded the run")
        return rec

    def test_raise_in_main_and_children(self):
        for m in METHODS:
            with self.subTest(method=m):
                rec = self.compare("fidelity.py", m, "raise")
                self.assertEqual(rec.result.returncode, 1)
                self.assertIn(b"child 1 failed on purpose", rec.result.stderr)
                self.assertIn(b'raise ValueError("main failed")', rec.result.stderr)
                self.assertNotIn(b"forkscope", rec.result.stderr)

    def test_streams_unchanged_and_writes_recorded(self):
        # sys.stdout stays the same object with the same type, buffer, fileno, encoding and
        # line buffering, in the main process and in children of every start method.
        rec = self.compare("streams.py", *METHODS)
        self.assertIn(b"main True True True TextIOWrapper 1 2", rec.result.stdout)
        self.assertIn(b"written: 4", rec.result.stdout)
        text = "".join(e[3] for es in rec.events.values() for e in es if e[0] == "out")
        for m in ["main"] + METHODS:
            self.assertIn("%s writelines\n" % m, text)
            self.assertIn("WARNING %s logged" % m, text)
        self.assertNotIn("raw bytes", text)  # bytes written to .buffer are not attributed

    def test_other_endings(self):
        for how in ("ok", "exit", "queue-empty", "pool-raise"):
            with self.subTest(how=how):
                rec = self.compare("fidelity.py", "fork", how)
                self.assertNotIn(b"forkscope", rec.result.stderr)

    def test_syntax_error_and_missing_script(self):
        for script in ("syntax_error.py", "does_not_exist.py"):
            with self.subTest(script=script):
                plain = self.plain(script)
                lst = L.Listener()
                try:
                    r = L.run([os.path.join(SCRIPTS, script)], lst, cwd=SCRIPTS)
                finally:
                    lst.close()
                self.assertEqual(r.returncode, plain.returncode)
                self.assertEqual(r.stdout, plain.stdout)
                if script == "does_not_exist.py":
                    self.assertIn(b"can't open file", r.stderr)
                elif sys.version_info >= (3, 10):
                    # 3.9 parses a file and a string differently at EOF (known gap of 3.9 only)
                    self.assertEqual(r.stderr, plain.stderr)
                else:
                    self.assertIn(b"SyntaxError", r.stderr)

    def test_directory_and_zip_applications(self):
        # `python PATH` runs a folder's or a zip archive's __main__.py, a zip behind a shebang line and
        # a zip named .py included; the launcher decides it as Python does, and imports no zipfile.
        import shutil
        import tempfile
        import zipapp

        main = (
            "import multiprocessing as mp, sys\n"
            "if __name__ == '__main__':\n"
            "    p = mp.Process(target=print, args=('child',)); p.start(); p.join()\n"
            "    print('main', __name__, sys.argv[1:], 'zipfile' in sys.modules)\n"
        )
        tmp = tempfile.mkdtemp()
        try:
            folder = os.path.join(tmp, "app")
            os.mkdir(folder)
            with open(os.path.join(folder, "__main__.py"), "w") as f:
                f.write(main)
            pyz = os.path.join(tmp, "app.pyz")
            zipapp.create_archive(folder, pyz, interpreter="/usr/bin/env python3")
            disguised = os.path.join(tmp, "zipped.py")
            shutil.copy(pyz, disguised)
            plain_file = os.path.join(tmp, "plain.py")
            with open(plain_file, "w") as f:
                f.write(main)
            for target in (folder, pyz, disguised, plain_file):
                with self.subTest(target=os.path.basename(target)):
                    plain = L.run_plain([target, "x"], cwd=tmp)
                    self.assertEqual(plain.returncode, 0, plain.stderr)
                    lst = L.Listener()
                    try:
                        r = L.run([target, "x"], lst, cwd=tmp)
                        lst.wait_idle(5)
                        roles = [e[2]["role"] for es in lst.events.values() for e in es if e[0] == "proc"]
                    finally:
                        lst.close()
                    self.assertEqual((r.returncode, r.stdout, r.stderr), (plain.returncode, plain.stdout, plain.stderr))
                    self.assertIn(b"main __main__ ['x']", r.stdout)
                    self.assertIn("main", roles)
                    self.assertIn("process", roles)
            # Without site (whose .pth hooks may import zipfile on their own) the launcher imports none.
            env = dict(os.environ)
            env.pop("FORKSCOPE_RUNTIME", None)
            for cmd in ([PY, "-S", plain_file], [PY, "-S", L.LAUNCHER, plain_file]):
                out = subprocess.run(cmd + ["x"], cwd=tmp, env=env, capture_output=True, timeout=60)
                self.assertEqual(out.stdout, b"child\nmain __main__ ['x'] False\n", (cmd, out.stderr))
        finally:
            shutil.rmtree(tmp)

    def test_module_mode(self):
        env = dict(os.environ)
        env.pop("FORKSCOPE_RUNTIME", None)
        plain = subprocess.run([PY, "-m", "fkmod", "a", "b"], cwd=SCRIPTS, env=env, capture_output=True, timeout=60)
        lst = L.Listener()
        try:
            r = L.run(["-m", "fkmod", "a", "b"], lst, cwd=SCRIPTS)
            lst.wait_idle(5)
            evs = lst.events
        finally:
            lst.close()
        self.assertEqual(r.stdout, plain.stdout)
        self.assertEqual(r.stderr, plain.stderr)
        self.assertEqual(r.returncode, 4)
        self.assertEqual(r.returncode, plain.returncode)
        roles = [e[2]["role"] for es in evs.values() for e in es if e[0] == "proc"]
        self.assertIn("main", roles)
        self.assertIn("process", roles)


class ObjectLayoutTest(RuntimeCase):
    """The runtime keeps its notes on the script's objects (a queue's ref, a lock's wait) as plain
    attributes and never reads their `__dict__`: since 3.11 that read turns an object's inline
    attributes into a dict for good, and every attribute access the standard library then makes on
    it is slower (a Queue.get 0.14 µs on 3.11, 0.21 µs on 3.12). Queues, their ends and locks, a
    Pipe, locks, a Pool, an executor and the Process object: stored as in the plain run, in the main
    process and in a child that received them (test/scripts/object_layout.py)."""

    def test_stored_as_without_forkscope(self):
        for m in METHODS:
            with self.subTest(method=m):
                plain = self.plain("object_layout.py", m)
                self.assertEqual(plain.returncode, 0, plain.stderr)
                rec = self.record("object_layout.py", m)
                self.assertRan(rec, plain.stdout.decode())
                if sys.version_info >= (3, 11):  # (before 3.11 every such object has a dict)
                    self.assertIn('"queue": "inline"', rec.stdout)


class BytecodeTest(unittest.TestCase):
    """PYTHONDONTWRITEBYTECODE (or -B) still holds for the user's files; the runtime keeps its own
    bytecode in its own __pycache__ (compiling it costs every process ~25 ms)."""

    def test_no_bytecode_for_the_user_runtime_cached(self):
        import shutil
        import tempfile

        work = tempfile.mkdtemp(prefix="fk-pyc-")
        try:
            with open(os.path.join(work, "helper.py"), "w") as f:
                f.write("import sys\nflag = sys.dont_write_bytecode\n")
            with open(os.path.join(work, "main.py"), "w") as f:
                f.write("import multiprocessing as mp, helper\nq = mp.Queue()\nprint(helper.flag)\n")
            # A copy of the runtime without bytecode, this test's own: the repo's copy is shared with every other
            # test run (the test layer runs two passes side by side).
            runtime = os.path.join(work, "python")
            shutil.copytree(L.PYTHON_ROOT, runtime, ignore=shutil.ignore_patterns("__pycache__"))
            runtime_cache = os.path.join(runtime, "forkscope_runtime", "__pycache__")
            env = L.default_start_method(dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
            lst = L.Listener()
            lst.config["root"] = runtime  # children load the runtime from the copy too
            try:
                py = os.environ.get("FORKSCOPE_TEST_PYTHON") or sys.executable
                launcher = os.path.join(runtime, os.path.basename(L.LAUNCHER))
                r = subprocess.run([py, launcher, os.path.join(work, "main.py")], cwd=work, env=lst.env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            finally:
                lst.close()
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"True\n", "the script still sees the user's setting")
            self.assertFalse(os.path.exists(os.path.join(work, "__pycache__")), "no bytecode written for the user's modules")
            cached = sorted(f.split(".")[0] for f in os.listdir(runtime_cache))
            self.assertLessEqual({"bootstrap", "emitter", "channels", "processes"}, set(cached), cached)
        finally:
            shutil.rmtree(work, ignore_errors=True)


class WithoutRuntimeTest(RuntimeCase):
    def test_no_runtime_without_variable(self):
        r = L.run([os.path.join(SCRIPTS, "introspect.py")], None, cwd=SCRIPTS)
        self.assertEqual(r.stdout.decode().split()[:2], ["plain", "multiprocessing.process"])

    def test_malformed_variable(self):
        for bad in ("{", "[]", '{"v": 2}', '{"v": 1, "socket": 3}'):
            with self.subTest(value=bad):
                env = dict(os.environ, FORKSCOPE_RUNTIME=bad)
                r = subprocess.run([PY, L.LAUNCHER, os.path.join(SCRIPTS, "introspect.py")], env=env, capture_output=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout.decode().split()[1], "multiprocessing.process")

    def test_with_runtime_it_is_patched(self):
        rec = self.record("introspect.py")
        self.assertEqual(rec.stdout.split()[:2], ["runtime", "forkscope_runtime.processes"])


class SupervisorGoneTest(RuntimeCase):
    def test_supervisor_goes_away_mid_run(self):
        for m in ("fork", "spawn"):
            with self.subTest(method=m):
                plain = self.plain("goaway.py", m)
                lst = L.Listener()
                proc = subprocess.Popen([PY, L.LAUNCHER, os.path.join(SCRIPTS, "goaway.py"), m], env=lst.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=SCRIPTS)
                deadline = time.time() + 10
                while time.time() < deadline and len(lst.hellos) < 3:
                    time.sleep(0.02)
                lst.close()  # every connection and the socket itself disappear
                out, err = proc.communicate(timeout=60)
                self.assertEqual(out, plain.stdout)
                self.assertEqual(err, plain.stderr)
                self.assertEqual(proc.returncode, 0)
                self.assertGreaterEqual(len(lst.hellos), 3)



class ExitBacklogTest(unittest.TestCase):
    """A supervisor slow to read when a process ends: what the socket had not taken yet is sent
    at exit (bounded wait), so the last events (its `exit`) are not lost."""

    def test_last_events_reach_a_slow_supervisor(self):
        lst = L.Listener()
        lst.paused.set()
        try:
            path = os.path.join(SCRIPTS, "exit_backlog.py")
            py = os.environ.get("FORKSCOPE_TEST_PYTHON") or sys.executable
            proc = subprocess.Popen([py, L.LAUNCHER, path], env=lst.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=os.path.dirname(path))
            try:
                self.assertEqual(proc.stdout.readline(), b"done\n")  # its events are queued behind a full socket now
                lst.paused.clear()
                _, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertEqual(proc.returncode, 0, err)
            lst.wait_idle(10)
            with lst.lock:
                evs = [e for es in lst.events.values() for e in es]
            self.assertEqual(sum(1 for e in evs if e[0] == "lock"), 12000, "every declaration arrived")
            self.assertIn("exit", [e[0] for e in evs], "the exit event, sent last, arrived")
        finally:
            lst.close()


class HookFailureTest(RuntimeCase):
    def test_hook_failure_is_contained_and_warned_once(self):
        plain = self.plain("broken_hook.py")
        rec = self.record("broken_hook.py")
        self.assertEqual(rec.result.stdout, plain.stdout)
        self.assertEqual(rec.result.stderr, plain.stderr)
        self.assertEqual(rec.result.returncode, 0)
        warns = [(pid, w[3]) for pid, w in rec.warns if w[2] == "runtime-error"]
        self.assertTrue(warns)
        per_pid = {}
        for pid, msg in warns:
            key = (pid, msg.split(" failed")[0])
            per_pid[key] = per_pid.get(key, 0) + 1
        self.assertTrue(all(n == 1 for n in per_pid.values()), warns)


INSTALL_CHECK = r"""
import json, os, sys
os.environ["FORKSCOPE_RUNTIME"] = json.dumps({"v": 1, "socket": "/nonexistent/x.sock", "secret": "s", "root": ROOT})
sys.path.insert(0, ROOT)
import multiprocessing, multiprocessing.process as mpp, multiprocessing.connection as mc, multiprocessing.queues as mq
import multiprocessing.pool as mpool, multiprocessing.synchronize as ms, multiprocessing.util as mu, time, traceback
def snapshot():
    return [mpp.BaseProcess.start, mpp.BaseProcess.join, mpp.BaseProcess._bootstrap, mc._ConnectionBase.send,
            mc._ConnectionBase.recv, mc.Pipe, mq.SimpleQueue.__setstate__, mq.Queue._reset, mq.SimpleQueue.put, mpool.worker,
            mpool.Pool.map, ms.Lock, ms.Event, mu.spawnv_passfds, time.sleep, traceback.walk_tb, sys.excepthook, len(sys.meta_path)]
before = snapshot()
import forkscope_runtime.bootstrap as b
assert b.install_main()
import forkscope_runtime.bootstrap as b2
assert b2 is b and not b.install_main() and not b.install_spawned("process")
during = snapshot()
changed = sum(1 for x, y in zip(before, during) if x is not y)
import multiprocessing.managers as mm
assert mm.BaseProxy._callmethod.__module__ == "forkscope_runtime.managers"
lock = ms.Lock(ctx=multiprocessing.get_context("fork"))
with lock:
    pass
b.uninstall()
after = snapshot()
restored = all(x is y or x == y for x, y in zip(before, after))
assert mm.BaseProxy._callmethod.__module__ == "multiprocessing.managers"
print(changed, restored)
"""


class InstallTest(unittest.TestCase):
    def test_install_twice_and_uninstall(self):
        code = INSTALL_CHECK.replace("ROOT", repr(L.PYTHON_ROOT))
        r = subprocess.run([PY, "-c", code], capture_output=True, timeout=60, env={k: v for k, v in os.environ.items() if k != "FORKSCOPE_RUNTIME"})
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        changed, restored = r.stdout.decode().split()
        self.assertGreaterEqual(int(changed), 14)
        self.assertEqual(restored, "True")


if __name__ == "__main__":
    unittest.main()
