"""Every event of real runs has the shape docs/runtime-protocol.md gives it;
the hello carries the secret; detail events obey detailRate while counts stay
exact."""

import json
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, SCRIPTS, RuntimeCase  # noqa: E402
from listener import PYTHON_ROOT  # noqa: E402

ROLES = {"main", "process", "pool-worker", "executor-worker", "manager", "forkserver", "resource-tracker", "fork"}
KINDS = {"queue", "simplequeue", "joinablequeue", "pipe", "pool", "manager"}
WAITS = {"join", "queue.get", "queue.put", "recv", "lock", "semaphore", "condition", "event", "barrier", "pool.result", "future.result", "sleep", "manager"}
CTR_KEYS = {"sent", "recv", "locks", "waits", "tasks", "calls", "callTimes", "detail", "dropped", "droppedBatches"}


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def opt_num(v):
    return v is None or num(v)


def opt_str(v):
    return v is None or isinstance(v, str)


def is_ref(v):
    return isinstance(v, str) and v[:1] in ("p", "m")


def check(ev):
    """None when the event is well-formed, else what is wrong."""
    if not isinstance(ev, list) or len(ev) < 2 or not isinstance(ev[0], str) or not num(ev[1]):
        return "not [type, t, ...]"
    t = ev[0]
    a = ev[2:]
    if t == "proc":
        i = a[0]
        ok = isinstance(i, dict) and isinstance(i.get("pid"), int) and i.get("role") in ROLES and opt_str(i.get("name")) and opt_str(i.get("key"))
        ok = ok and {"pid", "ppid", "key", "name", "role", "startMethod", "target", "file", "line", "daemon"} <= set(i)
        return None if ok else "proc"
    if t == "create":
        i = a[0]
        return None if isinstance(i, dict) and isinstance(i.get("key"), str) and {"key", "name", "target", "file", "line", "startMethod", "daemon", "role"} <= set(i) and i["role"] in ROLES else "create"
    if t == "started":
        return None if len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], int) else "started"
    if t == "run":
        return None if len(a) == 1 and opt_str(a[0]) else "run"
    if t == "runend":
        return None if len(a) == 1 and opt_str(a[0]) else "runend"
    if t == "exit":
        kids = a[3] if len(a) == 4 else "missing"
        kids_ok = kids is None or (isinstance(kids, list) and all(isinstance(k, int) for k in kids))
        return None if len(a) == 4 and all(opt_num(x) for x in a[:3]) and kids_ok else "exit"
    if t == "reap":
        cpu_ok = len(a) == 2 or (len(a) == 3 and num(a[2]) and a[2] >= 0)
        return None if len(a) in (2, 3) and isinstance(a[0], int) and opt_num(a[1]) and cpu_ok else "reap"
    if t == "join":
        return None if len(a) == 3 and isinstance(a[0], str) and num(a[1]) and a[1] <= ev[1] and opt_num(a[2]) else "join"
    if t == "w":
        return None if len(a) == 3 and a[0] in WAITS and opt_str(a[1]) and opt_str(a[2]) else "w %r" % (a,)
    if t == "we":
        return None if not a else "we"
    if t == "bk":  # tBegin, what, ref, detail, file, line
        ok = len(a) == 6 and num(a[0]) and a[0] <= ev[1] and a[1] in ("exit-flush", "frame")
        ok = ok and all(x is None or isinstance(x, str) for x in a[2:5]) and (a[5] is None or isinstance(a[5], int))
        return None if ok else "bk"
    if t == "bke":
        return None if not a else "bke"
    if t == "ws":
        return None if len(a) == 3 and num(a[0]) and a[0] <= ev[1] and isinstance(a[1], str) and isinstance(a[2], int) else "ws"
    if t == "chan":
        i = a[0]
        return None if isinstance(i, dict) and is_ref(i.get("ref")) and i.get("kind") in KINDS and isinstance(i.get("refs"), list) and all(is_ref(r) for r in i["refs"]) and i["ref"] in i["refs"] and {"name", "file", "line", "pool"} <= set(i) else "chan"
    if t == "lock":
        i = a[0]
        return None if isinstance(i, dict) and isinstance(i.get("ref"), str) and i["ref"].startswith("l") and isinstance(i.get("kind"), str) else "lock"
    if t == "shared":
        i = a[0]
        return None if isinstance(i, dict) and isinstance(i.get("kind"), str) and {"typecode", "length", "bytes", "name", "file", "line", "lock"} <= set(i) else "shared"
    if t == "pool":
        i = a[0]
        return None if isinstance(i, dict) and isinstance(i.get("ref"), str) and i.get("kind") in ("pool", "executor") and is_ref(i.get("tasks")) and is_ref(i.get("results")) else "pool"
    if t == "pcall":
        i = a[0]
        return None if isinstance(i, dict) and isinstance(i.get("pool"), str) and isinstance(i.get("method"), str) and {"job", "tasks", "chunksize"} <= set(i) else "pcall"
    if t == "task":
        i = a[0]
        return None if isinstance(i, dict) and is_ref(i.get("pool")) and num(i.get("tBegin")) and i["tBegin"] <= ev[1] and isinstance(i.get("ok"), bool) and {"job", "chunk", "items"} <= set(i) else "task"
    if t == "m":
        return None if len(a) == 5 and is_ref(a[0]) and isinstance(a[1], int) and num(a[2]) and isinstance(a[3], int) and opt_str(a[4]) else "m"
    if t == "ctr":
        c = a[0]
        if not isinstance(c, dict) or not set(c) <= CTR_KEYS:
            return "ctr keys"
        for sec, n in (("sent", 2), ("recv", 5), ("locks", 3), ("tasks", 3), ("callTimes", 3)):
            for k, v in c.get(sec, {}).items():
                if not (isinstance(v, list) and len(v) == n and all(num(x) for x in v)):
                    return "ctr %s shape" % sec
        for k in c.get("recv", {}):
            ref, _, pid = k.partition(" ")
            if not (is_ref(ref) and pid.isdigit()):
                return "ctr recv key"
        for k, v in c.get("waits", {}).items():
            if k not in WAITS or not num(v):
                return "ctr waits"
        for k, v in c.get("calls", {}).items():
            if " " not in k or not isinstance(v, int):
                return "ctr calls"
        return None
    if t == "hold":
        return None if len(a) == 2 and isinstance(a[0], str) and a[0].startswith("l") and num(a[1]) and a[1] <= ev[1] else "hold"
    if t == "warn":
        return None if len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], str) else "warn"
    if t == "ended":
        return None if len(a) == 2 and a[0] in ("returned", "exception", "sys.exit", "terminated-by-pool", "os._exit") and opt_str(a[1]) else "ended"
    if t == "endby":
        return None if len(a) == 3 and isinstance(a[0], int) and a[1] in ("terminate()", "kill()", "interrupt()", "terminated-by-pool") and opt_str(a[2]) else "endby"
    if t == "out":
        if len(a) not in (2, 3) or a[0] not in ("stdout", "stderr") or not isinstance(a[1], str) or not a[1]:
            return "out"
        if len(a) == 3:  # several writes: [length, µs after t, …], the lengths adding up to the text
            w = a[2]
            if not isinstance(w, list) or len(w) < 4 or len(w) % 2 or not all(isinstance(x, int) and x >= 0 for x in w):
                return "out writes"
            if sum(w[0::2]) != len(a[1]) or 0 in w[0::2] or w[1] != 0 or w[1::2] != sorted(w[1::2]):
                return "out writes"
        return None
    if t == "outcap":
        return None if len(a) == 1 and isinstance(a[0], int) else "outcap"
    return "unknown type %s" % t


class _Shapes:
    method = None

    def test_every_event_follows_the_protocol(self):
        seen = set()
        for script in ("flows.py", "sync.py", "pools.py", "ends.py"):
            r = self.record(script, self.method)
            self.assertEqual(r.result.returncode, 0, r.result.stderr)
            problems = {}
            for pid, evs in r.events.items():
                self.assertTrue(evs and evs[0][0] == "proc", (script, pid, evs[:1], r.hellos.get(pid), "listener alive", r.listener_alive, "open", r.open_conns, "pids", sorted(r.events)))
                for ev in evs:
                    seen.add(ev[0])
                    p = check(ev)
                    if p:
                        problems[p] = problems.get(p, 0) + 1
            self.assertEqual(problems, {}, script)
        self.assertLessEqual({"proc", "create", "started", "run", "runend", "exit", "reap", "join", "w", "we", "chan", "lock", "shared", "pool", "pcall", "task", "m", "ctr", "ended", "endby"}, seen)


class DetailRateTest(RuntimeCase):
    def test_detail_is_limited_and_counts_stay_exact(self):
        r = self.record("flows.py", "fork", detail_rate=20)
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        q = r.chan("queue", "q")
        main = r.main()
        self.assertEqual(sum(r.flows(q["ref"]).values()), 100)
        c = r.ctr[main]
        m_events = sum(1 for e in r.events[main] if e[0] in ("m", "task"))
        self.assertEqual(c.get("detail", 0), m_events)
        received = sum(v[0] for v in c["recv"].values())
        self.assertEqual(c.get("detail", 0) + c.get("dropped", 0), received)
        self.assertGreater(c.get("dropped", 0), 0)


class HelloTest(unittest.TestCase):
    def test_hello_carries_pid_and_secret(self):
        import listener as L

        lst = L.Listener()
        try:
            r = L.run([os.path.join(SCRIPTS, "plainfork.py")], lst)
            lst.wait_idle(5)
            self.assertEqual(r.returncode, 0)
            self.assertEqual(lst.refused, 0)
            self.assertEqual(len(lst.hellos), 4)
            for pid, h in lst.hellos.items():
                self.assertEqual(h["secret"], lst.secret)
                self.assertEqual(h["pid"], pid)
                self.assertIsInstance(h["ppid"], int)
            # A connection with the wrong secret is refused by the listener (the supervisor's rule).
            s = socket.socket(socket.AF_UNIX)
            s.connect(lst.path)
            s.sendall(json.dumps({"hello": 1, "secret": "wrong", "pid": 1, "ppid": 0}).encode() + b"\n")
            s.settimeout(2)
            self.assertEqual(s.recv(10), b"")
            s.close()
            self.assertEqual(lst.refused, 1)
        finally:
            lst.close()


class JsonCTest(unittest.TestCase):
    """The runtime writes and reads JSON through `_json` itself (forkscope_runtime/json_c.py): the
    text must be the json package's, character for character, on every interpreter."""

    VALUES = [
        [],
        {},
        [1, -0.0, 0.1, 1e-07, 1e300, 2**70, -(2**63), float("nan"), float("inf"), float("-inf")],
        {"pid": 4242, "name": "Process-1 \u00e9\u4e2d\U0001f600", "esc": "\"\\\n\t\x00\x1f\x7f", "lone": "\ud800"},
        ("tuple", True, False, None),
        {1: "int key", 2.5: "float key", True: "bool key", None: "none key"},
        [["run", 1.25, {"argv": ["a.py", "--x=1"], "nested": [[[{}]]]}]],
        {"object": ValueError("x"), "bytes": b"raw", "set": {1}},
    ]

    def codecs(self):
        sys.path.insert(0, PYTHON_ROOT)
        from forkscope_runtime import json_c

        return [("_json", json_c.dumps, json_c.loads), ("package", *json_c._package_codec())]

    def test_dumps_is_the_packages_text(self):
        for name, dumps, _ in self.codecs():
            for v in self.VALUES:
                with self.subTest(codec=name, value=repr(v)[:60]):
                    self.assertEqual(dumps(v), json.dumps(v, separators=(",", ":"), default=str))

    def test_loads_is_the_packages_value(self):
        texts = [
            '{"v":1,"socket":"/tmp/forkscope-ab/events.sock","secret":"00ff","root":"/r","flushMs":20,"connectWaitMs":10000}',
            ' \n\t{"a": [1, 2.5, -3e-2, "\\u00e9\\ud83d\\ude00", null, true, false, {"b": {}}]}\r\n',
            "[NaN, Infinity, -Infinity]",
            '"just a string"',
            "12345678901234567890123",
        ]
        for name, _, loads in self.codecs():
            for t in texts:
                with self.subTest(codec=name, text=t[:40]):
                    self.assertEqual(repr(loads(t)), repr(json.loads(t)))
            for bad in ["", " ", "{", '{"a":1} x', "{'a': 1}", '{"a":1,}', "[1] [2]", '"\x01"']:
                with self.subTest(codec=name, bad=bad):
                    self.assertRaises(ValueError, loads, bad)

    def test_the_runtime_does_not_import_the_json_package(self):
        code = (
            "import sys; before = 'json' in sys.modules; sys.path.insert(0, %r)\n"
            "from forkscope_runtime import config, bootstrap, json_c\n"
            "assert config.parse('{\"v\":1,\"socket\":\"s\",\"secret\":\"x\",\"root\":\"r\",\"flushMs\":5}').flush_ms == 5\n"
            "print(before, 'json' in sys.modules, json_c.dumps.__qualname__)" % PYTHON_ROOT
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        if out[0] == "True":
            self.skipTest("this interpreter's site imports json itself")
        self.assertEqual(out, ["False", "False", "_c_codec.<locals>.dumps"])


for _m in METHODS:
    _name = "Shapes_" + _m
    globals()[_name] = type(_name, (_Shapes, RuntimeCase), {"method": _m})
del _m, _name

if __name__ == "__main__":
    unittest.main()
