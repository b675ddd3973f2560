"""Benchmark: what one Queue message costs each end, in instructions, plain, with the bench's bare
counting hook (queue_flood_floor.py) and recorded. Counted by valgrind's callgrind, which counts
instructions, not seconds: the same figure on a busy machine as on an idle one, where a flood's wall
time moves by more than the runtime's whole per-message cost.

The receiving end (`get`): the queue's reader hands out messages made beforehand (a pickled int and
an untimed sender's trailer), so a get is the get alone: its read lock, the receive call, the count,
the unpickling.

The sending end (`put`): a put, then the feeder's pickling and sending of the same message. The
feeder's body runs in the main thread once the puts are done (under valgrind, a second thread costs
hundreds of thousands of instructions a message in waking and switching, which no real run pays),
and it writes to /dev/null: a real send, with no reader to wait for.

Each form runs with N and 3N messages, and the N-message run is subtracted: the interpreter's start
and the runtime's cancel out; so does making the messages (the `build` form: the same script without
the messages). The recorded form runs under the runtime (the test listener, flushMs 10,000 so that
the flusher does not tick: under valgrind's slowdown its ticks would land on each message; waitMs
10,000 so that the timed gets' receives, each 50 times slower under valgrind, never count as long
waits: one that did would time the gets after it, as a flood's never are, and by how much would
depend on the machine's speed). For the same reason its sends' countdown is set to reach its
longest run as a flood's does (emitter.TX_FAST_S): under valgrind no two sends come close enough.
Only the main thread is counted (the flusher's one or two ticks a run are left out).

One run's count is exact, but it depends on where things happen to lie in memory: CPython's method
cache and its dicts hash addresses, so the same code with a few more objects made before it can
take a few hundred instructions a message more or less (seen: 34,495 to 34,795 for one recorded
put). So each form runs in several layouts (`LAYOUTS`, each with another number of strings made
before the workload), and the figure is the median of the layouts' counts, with their range.

`python msg_cost.py [N] [LAYOUTS]` prints one JSON line: instructions per message at each end for
each form. `python msg_cost.py work SIDE N FORM` is the workload (SIDE: get, put; FORM: plain,
floor, recorded, build; MSG_COST_LAYOUT in the environment: how many strings to make first)."""
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
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
FORMS = ("plain", "floor", "recorded", "build")
SIDES = ("get", "put")
LAYOUT_STEP = 97  # strings made before the workload, per layout


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


def work_get(n, form):
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


class Unstarted:
    """Stands in for threading.Thread while a queue makes its feeder: keeps its target and args."""

    made = []

    def __init__(self, target, args, name=None):
        self.made.append((target, args))

    def start(self):
        pass

    def join(self, timeout=None):
        pass

    def is_alive(self):
        return False


def work_put(n, form):
    import multiprocessing as mp
    import threading
    from multiprocessing import queues
    from multiprocessing.connection import Connection

    if form == "floor":
        sys.path.insert(0, HERE)
        import queue_flood_floor  # noqa: F401 (its counting pickler is the queues module's now)
    emitter = sys.modules.get("forkscope_runtime.emitter")
    if emitter is not None:
        emitter.TX_FAST_S = 1e9
    q = mp.Queue()
    w = Connection(os.open(os.devnull, os.O_WRONLY), readable=False)
    ref = getattr(q._writer, "_fk_qref", None)  # (the runtime's: its feeder counts under it)
    q._writer = w
    if ref is not None:
        w._fk_qref = ref
    q._send_bytes = w.send_bytes
    threading.Thread = Unstarted
    q._start_thread()
    put = q.put
    if form != "build":
        for i in range(n):
            put(i)
    q._buffer.append(queues._sentinel)
    target, args = Unstarted.made[0]
    target(*args)  # the feeder's body, to the sentinel


def collected(cmd, env, cwd):
    """Instructions callgrind counted in the main thread of cmd (the flusher's ticks, at most one
    or two a run and each as big as what it sends, are left out)."""
    out = os.path.join(cwd, "cg.out")
    r = subprocess.run(
        ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--callgrind-out-file=" + out] + cmd,
        env=env, capture_output=True, text=True, cwd=cwd,
    )
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr[-2000:]))
    with open(out + "-01") as f:
        m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
    if not m:
        raise RuntimeError("no count from callgrind: " + r.stderr[-2000:])
    return int(m.group(1))


def one_run(side, k, form, layout, env, listener):
    """The main thread's instructions in one run of the workload."""
    env = dict(env, MSG_COST_LAYOUT=str(layout * LAYOUT_STEP))
    work = [os.path.abspath(__file__), "work", side, str(k), form]
    folder = tempfile.mkdtemp(prefix="msg-cost-")
    try:
        if form != "recorded":
            return collected([sys.executable] + work, env, folder)
        lst = listener.Listener(flush_ms=10000, wait_ms=10000, keep=False)
        try:
            n = collected([sys.executable, listener.LAUNCHER] + work, lst.env(env), folder)
            lst.wait_idle(10)
            return n
        finally:
            lst.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def per_message(side, n, layouts, env, listener):
    """Instructions per message at one end, for each form: one figure per layout. Two runs at a
    time (callgrind's counts do not depend on how busy the machine is)."""
    runs = [(form, k, layout) for layout in range(layouts) for form in FORMS for k in (n, 3 * n)]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(runs, pool.map(lambda r: one_run(side, r[1], r[0], r[2], env, listener), runs)))
    out = {}
    for form in FORMS[:-1]:
        out[form] = sorted(
            (counts[form, 3 * n, i] - counts[form, n, i] - (counts["build", 3 * n, i] - counts["build", n, i])) / (2 * n)
            for i in range(layouts)
        )
    return out


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def measure(n, layouts):
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "python"))
    import listener

    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("FORKSCOPE_RUNTIME", None)
    out = {"python": sys.version.split()[0], "messages": [n, 3 * n], "layouts": layouts}
    mid = {}
    for side in SIDES:
        per = per_message(side, n, layouts, env, listener)
        m = mid[side] = {form: median(v) for form, v in per.items()}
        out[side] = {
            "instructions": {form: round(v) for form, v in m.items()},
            "range": {form: [round(v[0]), round(v[-1])] for form, v in per.items()},
            "recordedOverPlain": round(m["recorded"] / m["plain"], 4),
            "floorOverPlain": round(m["floor"] / m["plain"], 4),
            "recordedOverFloor": round(m["recorded"] / m["floor"], 4),
        }
    both = {form: mid["get"][form] + mid["put"][form] for form in FORMS[:-1]}
    out["both"] = {
        "instructions": {form: round(v) for form, v in both.items()},
        "recordedOverPlain": round(both["recorded"] / both["plain"], 4),
        "floorOverPlain": round(both["floor"] / both["plain"], 4),
    }
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "work":
        layout = [sys.intern("layout%d" % j) for j in range(int(os.environ.get("MSG_COST_LAYOUT", "0")))]
        (work_get if sys.argv[2] == "get" else work_put)(int(sys.argv[3]), sys.argv[4])
    else:
        if shutil.which("valgrind") is None:
            print(json.dumps({"skipped": "valgrind is not installed (Debian: apt-get install valgrind)"}))
            sys.exit(0)
        args = [int(a) for a in sys.argv[1:3]]
        print(json.dumps(measure(args[0] if args else 5000, args[1] if len(args) > 1 else 5)))
