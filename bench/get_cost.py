"""Benchmark: what one Queue.get costs the receiving process, in instructions, plain, with the
bench's bare counting hook (queue_flood_floor.py) and recorded. Counted by valgrind's callgrind,
which counts instructions, not seconds: the same figure on a busy machine as on an idle one, where
a flood's wall time moves by more than the runtime's whole per-message cost.

The queue's reader hands out messages made beforehand (a pickled int and an untimed sender's
trailer), so a get is the get alone: its read lock, the receive call, the count, the unpickling.
Each form runs with N and 3N messages, and the N-message run is subtracted: the interpreter's start
and the runtime's cancel out; so does making the messages (the `build` form: the same script
without the gets). The recorded form runs under the runtime (the test listener, flushMs 10,000 so
that the flusher does not tick: under valgrind's slowdown its ticks would land on each get; waitMs
10,000 so that the timed gets' receives, each 50 times slower under valgrind, never count as long
waits: one that did would time the gets after it, as a flood's never are, and by how much would
depend on the machine's speed).

`python get_cost.py [N]` prints one JSON line: instructions per get for each form. `python
get_cost.py work N FORM` is the workload (FORM: plain, floor, recorded, build)."""
import json
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
FORMS = ("plain", "floor", "recorded", "build")


class FakeReader:
    """Stands in for the queue's read end: its messages, one per call, never blocking."""

    def __init__(self, fd, msgs):
        self.fd = fd
        self.it = iter(msgs)

    def fileno(self):
        return self.fd

    def recv_bytes(self, maxlength=None):
        return next(self.it)

    def poll(self, timeout=0.0):
        return True

    def close(self):
        pass


def work(n, form):
    import multiprocessing as mp

    trailer = struct.pack("<4sId", b"FkU1", 4242, 0.0)  # an untimed trailer from pid 4242 (trailer.py)
    msgs = [pickle.dumps(i) + trailer for i in range(n)]
    q = mp.Queue()
    r, _ = os.pipe()
    q._reader = FakeReader(r, msgs)
    q._reset()  # (the runtime's hook: the queue's count and its recompiled get)
    q._sem = types.SimpleNamespace(release=int)  # no put ever took it
    if form == "floor":
        sys.path.insert(0, HERE)
        from queue_flood_floor import count_on_receipt

        count_on_receipt(q)
    s = 0
    if form != "build":
        get = q.get
        for _ in range(n):
            s += get()
    print(s)


def collected(cmd, env):
    """Instructions callgrind counted in the main thread of cmd (the flusher's ticks, at most one
    or two a run and each as big as what it sends, are left out)."""
    folder = tempfile.mkdtemp(prefix="get-cost-")
    try:
        out = os.path.join(folder, "cg.out")
        r = subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--callgrind-out-file=" + out] + cmd,
            env=env, capture_output=True, text=True, cwd=HERE,
        )
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr[-2000:]))
        with open(out + "-01") as f:
            m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
        if not m:
            raise RuntimeError("no count from callgrind: " + r.stderr[-2000:])
        return int(m.group(1))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(n):
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "python"))
    import listener as L

    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("FORKSCOPE_RUNTIME", None)
    me = os.path.abspath(__file__)
    totals = {}
    for form in FORMS:
        for k in (n, 3 * n):
            if form == "recorded":
                lst = L.Listener(flush_ms=10000, wait_ms=10000, keep=False)
                try:
                    totals[form, k] = collected([sys.executable, L.LAUNCHER, me, "work", str(k), form], lst.env(env))
                    lst.wait_idle(10)
                finally:
                    lst.close()
            else:
                totals[form, k] = collected([sys.executable, me, "work", str(k), form], env)
    build = totals["build", 3 * n] - totals["build", n]
    per = {form: (totals[form, 3 * n] - totals[form, n] - build) / (2 * n) for form in FORMS if form != "build"}
    return {
        "python": sys.version.split()[0],
        "messages": [n, 3 * n],
        "instructionsPerGet": {k: round(v) for k, v in per.items()},
        "recordedOverPlain": round(per["recorded"] / per["plain"], 4),
        "floorOverPlain": round(per["floor"] / per["plain"], 4),
        "recordedOverFloor": round(per["recorded"] / per["floor"], 4),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "work":
        work(int(sys.argv[2]), sys.argv[3])
    else:
        if shutil.which("valgrind") is None:
            print(json.dumps({"skipped": "valgrind is not installed (Debian: apt-get install valgrind)"}))
            sys.exit(0)
        print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)))
