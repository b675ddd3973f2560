"""A small stand-in for the Node supervisor: a Unix socket in a private
directory that checks each connection's hello and secret and collects the
event batches per process. Used by the tests and the benchmark to run real
scripts under the launcher (docs/runtime-protocol.md).
"""

import json
import os
import secrets
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON_ROOT = os.path.join(ROOT, "extension", "python")
LAUNCHER = os.path.join(PYTHON_ROOT, "forkscope_launch.py")


class Listener:
    """Accepts runtime connections; `events` maps pid -> list of events (in arrival order)."""

    def __init__(self, flush_ms=20, detail_rate=2000, wait_ms=1, max_processes=1000, keep=True):
        self.dir = tempfile.mkdtemp(prefix="fkt-")
        os.chmod(self.dir, 0o700)
        self.path = os.path.join(self.dir, "events.sock")
        self.secret = secrets.token_hex(16)
        self.config = {"v": 1, "socket": self.path, "secret": self.secret, "root": PYTHON_ROOT, "flushMs": flush_ms, "detailRate": detail_rate, "waitMs": wait_ms, "maxProcesses": max_processes}
        self.keep = keep
        self.events = {}
        self.batches = {}  # pid -> each batch line's events, in order (kept with `keep`)
        self.hellos = {}
        self.refused = 0
        self.closed_pids = []
        self.count = 0
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(512)
        self.server.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.server, selectors.EVENT_READ, None)
        self._stop = False
        # While set, connections are accepted but not read (a supervisor that is slow to read).
        self.paused = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def env(self, base=None):
        """An environment with FORKSCOPE_RUNTIME for this listener."""
        e = dict(os.environ if base is None else base)
        e["FORKSCOPE_RUNTIME"] = json.dumps(self.config)
        return e

    def _loop(self):
        while not self._stop:
            for key, _ in self.sel.select(0.05):
                if key.data is None:
                    try:
                        c, _ = self.server.accept()
                    except OSError:
                        continue
                    c.setblocking(False)
                    self.sel.register(c, selectors.EVENT_READ, {"buf": b"", "pid": None})
                elif not self.paused.is_set():
                    self._read(key.fileobj, key.data)
            if self.paused.is_set():
                time.sleep(0.005)

    def _read(self, c, st):
        try:
            data = c.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(c)
            c.close()
            if st["pid"] is not None:
                with self.lock:
                    self.closed_pids.append(st["pid"])
            return
        st["buf"] += data
        while b"\n" in st["buf"]:
            line, st["buf"] = st["buf"].split(b"\n", 1)
            if st["pid"] is None:
                try:
                    h = json.loads(line)
                    ok = h.get("hello") == 1 and h.get("secret") == self.secret and isinstance(h.get("pid"), int)
                except ValueError:
                    ok = False
                if not ok:
                    self.refused += 1
                    self.sel.unregister(c)
                    c.close()
                    return
                st["pid"] = h["pid"]
                with self.lock:
                    self.hellos[h["pid"]] = h
                    self.events.setdefault(h["pid"], [])
                continue
            batch = json.loads(line)
            with self.lock:
                self.count += len(batch)
                if self.keep:
                    self.events[st["pid"]].extend(batch)
                    self.batches.setdefault(st["pid"], []).append(batch)

    def wait_idle(self, timeout=5.0, quiet=0.3):
        """Waits until no connection is open (every process ended) or the timeout passes."""
        end = time.time() + timeout
        while time.time() < end:
            if len(self.sel.get_map()) <= 1:
                time.sleep(0.05)
                if len(self.sel.get_map()) <= 1:
                    return True
            time.sleep(0.02)
        return False

    def close(self):
        self._stop = True
        self.thread.join(2)
        for key in list(self.sel.get_map().values()):
            try:
                key.fileobj.close()
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# FORKSCOPE_TEST_DEFAULT_START_METHOD=forkserver runs every test script with that *default* start method
# (Python 3.14's default on Linux), through the same sitecustomize the VS Code launch configuration's
# `startMethod` uses (extension/vscode/python): scripts that choose a method themselves keep theirs.
START_METHOD_SITE = os.path.join(os.path.dirname(PYTHON_ROOT), "vscode", "python")


def default_start_method(e):
    """Puts the test run's default start method (if one is asked for) into environment `e`."""
    method = os.environ.get("FORKSCOPE_TEST_DEFAULT_START_METHOD")
    if method:
        e["FORKSCOPE_START_METHOD"] = method
        pp = e.get("PYTHONPATH")
        e["PYTHONPATH"] = START_METHOD_SITE + (os.pathsep + pp if pp else "")
    return e


def run(script_args, listener=None, python=None, cwd=None, timeout=120, env=None):
    """Runs `python LAUNCHER script_args...` (under the listener when given); returns CompletedProcess."""
    py = python or os.environ.get("FORKSCOPE_TEST_PYTHON") or sys.executable
    e = listener.env(env) if listener is not None else dict(os.environ if env is None else env)
    if listener is None:
        e.pop("FORKSCOPE_RUNTIME", None)
    default_start_method(e)
    return subprocess.run([py, LAUNCHER] + list(script_args), cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def run_plain(script_args, python=None, cwd=None, timeout=120, env=None):
    """Runs `python script_args...` without Forkscope."""
    py = python or os.environ.get("FORKSCOPE_TEST_PYTHON") or sys.executable
    e = dict(os.environ if env is None else env)
    e.pop("FORKSCOPE_RUNTIME", None)
    default_start_method(e)
    return subprocess.run([py] + list(script_args), cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


if __name__ == "__main__":
    # Manual use: python test/python/listener.py SCRIPT ARGS... -> prints the events per pid.
    lst = Listener()
    r = run(sys.argv[1:], lst)
    lst.wait_idle()
    sys.stdout.buffer.write(r.stdout)
    sys.stderr.buffer.write(r.stderr)
    for pid, evs in lst.events.items():
        print("== pid", pid)
        for ev in evs:
            print("  ", json.dumps(ev)[:300])
    print("exit", r.returncode, "refused", lst.refused)
    lst.close()
