"""Helpers for the runtime tests: run a script under the launcher and the
test listener, and read the events back as a small model (processes by pid,
last counter values, channels, pools), the way the supervisor would."""

import multiprocessing
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import listener as L  # noqa: E402

# Every test layer's scripts live in test/scripts (one copy of each).
SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")


def script_path(name):
    """A test script in test/scripts."""
    return os.path.join(SCRIPTS, name)

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


class Recorded:
    """What a run left: its CompletedProcess and the events per pid, reduced."""

    def __init__(self, result, events):
        self.result = result
        self.events = events
        self.procs = {}  # pid -> merged proc info
        self.key_pid = {}
        self.creates = {}  # key -> (creatorPid, info)
        self.ctr = {}  # pid -> {section: {key: value}}
        self.chans = []
        self.pools = []
        self.pcalls = []
        self.locks = []
        self.shared = []
        self.warns = []
        for pid, evs in events.items():
            c = self.ctr.setdefault(pid, {})
            for ev in evs:
                t = ev[0]
                if t == "proc":
                    self.procs.setdefault(pid, {}).update({k: v for k, v in ev[2].items() if v is not None})
                    if ev[2].get("key"):
                        self.key_pid[ev[2]["key"]] = pid
                elif t == "create":
                    self.creates[ev[2]["key"]] = (pid, ev[2])
                elif t == "started":
                    self.key_pid[ev[2]] = ev[3]
                elif t == "ctr":
                    for sec, val in ev[2].items():
                        if isinstance(val, dict):
                            c.setdefault(sec, {}).update(val)
                        else:
                            c[sec] = val
                elif t == "chan":
                    self.chans.append((pid, ev[2]))
                elif t == "pool":
                    self.pools.append((pid, ev[2]))
                elif t == "pcall":
                    self.pcalls.append((pid, ev[2]))
                elif t == "lock":
                    self.locks.append((pid, ev[2]))
                elif t == "shared":
                    self.shared.append((pid, ev[2]))
                elif t == "warn":
                    self.warns.append((pid, ev))

    @property
    def stdout(self):
        return self.result.stdout.decode()

    def of_type(self, pid, t):
        return [e for e in self.events.get(pid, []) if e[0] == t]

    def main(self):
        return next(p for p, i in self.procs.items() if i.get("role") == "main")

    def by_name(self, name):
        pids = [p for p, i in self.procs.items() if i.get("name") == name]
        assert len(pids) == 1, (name, pids, {p: i.get("name") for p, i in self.procs.items()})
        return pids[0]

    def by_role(self, role):
        return sorted(p for p, i in self.procs.items() if i.get("role") == role)

    def parent(self, pid):
        """The multiprocessing parent (creator of its key), else the OS parent."""
        key = self.procs[pid].get("key")
        if key and key in self.creates:
            return self.creates[key][0]
        return self.procs[pid].get("ppid")

    def chan(self, kind, name=None):
        found = [c for _, c in self.chans if c["kind"] == kind and (name is None or c["name"] == name)]
        assert found, (kind, name, [(c["kind"], c["name"]) for _, c in self.chans])
        return found[0]

    def alias(self):
        a = {}
        for _, c in self.chans:
            for r in c["refs"]:
                a.setdefault(r, c["ref"])
        return a

    def flows(self, ref):
        """{(from, to): msgs} over a channel (any of its refs), from the receivers' counters."""
        a = self.alias()
        top = a.get(ref, ref)
        out = {}
        for pid, c in self.ctr.items():
            for k, v in c.get("recv", {}).items():
                r, frm = k.split(" ")
                if a.get(r, r) == top:
                    out[(int(frm), pid)] = out.get((int(frm), pid), 0) + v[0]
        return out

    def sent(self, ref):
        a = self.alias()
        top = a.get(ref, ref)
        out = {}
        for pid, c in self.ctr.items():
            for r, v in c.get("sent", {}).items():
                if a.get(r, r) == top:
                    out[pid] = out.get(pid, 0) + v[0]
        return out

    def tasks(self, ref):
        """{pid: [chunks, items]} for a pool's task channel."""
        out = {}
        for pid, c in self.ctr.items():
            for k, v in c.get("tasks", {}).items():
                if k.split(" ")[0] == ref:
                    o = out.setdefault(pid, [0, 0])
                    o[0] += v[0]
                    o[1] += v[1]
        return out

    def waits(self, pid):
        """[(what, ref, begin, end)] of emitted waits, plus short-wait totals."""
        out = []
        open_w = None
        for e in self.events.get(pid, []):
            if e[0] == "w":
                open_w = [e[2], e[3], e[1], None]
                out.append(open_w)
            elif e[0] == "we" and open_w is not None:
                open_w[3] = e[1]
                open_w = None
        return out


class RuntimeCase(unittest.TestCase):
    """Base class: `record()` runs a test script (see script_path) under the runtime."""

    maxDiff = None

    def assertRan(self, rec, stdout):
        """The recorded script exited 0 and printed exactly `stdout`."""
        self.assertEqual(rec.result.returncode, 0, rec.result.stderr)
        self.assertEqual(rec.stdout, stdout)

    def record(self, script, *args, timeout=90, detail_rate=2000, max_processes=1000, env=None, **listener_kw):
        lst = L.Listener(detail_rate=detail_rate, max_processes=max_processes, **listener_kw)
        try:
            path = script_path(script)
            r = L.run([path] + list(args), lst, timeout=timeout, cwd=os.path.dirname(path), env=env)
            lst.wait_idle(10)
            with lst.lock:
                events = {p: list(e) for p, e in lst.events.items()}
                batches = {p: list(b) for p, b in lst.batches.items()}
            rec = Recorded(r, events)
            rec.batches = batches
            rec.refused = lst.refused
            rec.hellos = dict(lst.hellos)
            rec.listener_alive = lst.thread.is_alive()
            rec.open_conns = [(k.data["pid"], len(k.data["buf"])) for k in lst.sel.get_map().values() if k.data]
            return rec
        finally:
            lst.close()

    def plain(self, script, *args, timeout=90, env=None):
        path = script_path(script)
        return L.run_plain([path] + list(args), timeout=timeout, cwd=os.path.dirname(path), env=env)
