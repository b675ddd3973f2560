"""Exact message counts, in each direction, on every kind of channel, and
Pool/executor task accounting, under every start method (real runs)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, L, RuntimeCase  # noqa: E402


class _Flows:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "flows.py", cls.method)

    def setUp(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)

    def test_output(self):
        self.assertEqual(self.rec.stdout, "2450 7 10 [0, 1, 2, 3] 2470 140 (5, 3)\n")
        self.assertEqual([w for w in self.rec.warns if w[1][2] == "runtime-error"], [])

    def test_queue(self):
        r = self.rec
        q = r.chan("queue", "q")
        self.assertEqual(os.path.basename(q["file"]), "flows.py")
        main, p0, p1 = r.main(), r.by_name("producer-0"), r.by_name("producer-1")
        self.assertEqual(r.flows(q["ref"]), {(p0, main): 50, (p1, main): 50})
        self.assertEqual(r.sent(q["ref"]), {p0: 50, p1: 50})

    def test_simplequeue(self):
        r = self.rec
        sq = r.chan("simplequeue", "sq")
        s = r.by_name("simple")
        self.assertEqual(r.flows(sq["ref"]), {(s, r.main()): 7})
        self.assertEqual(r.sent(sq["ref"]), {s: 7})

    def test_joinablequeue(self):
        r = self.rec
        jq = r.chan("joinablequeue", "jq")
        j = r.by_name("joinable")
        self.assertEqual(r.flows(jq["ref"]), {(r.main(), j): 5})

    def test_duplex_pipe(self):
        r = self.rec
        here = r.chan("pipe", "here/there")
        self.assertEqual(len(here["refs"]), 2)  # a socket pair: one inode per end
        p = r.by_name("ponger")
        main = r.main()
        self.assertEqual(r.flows(here["ref"]), {(main, p): 10, (p, main): 10})
        self.assertEqual(r.sent(here["ref"]), {main: 10, p: 10})

    def test_simplex_pipe(self):
        r = self.rec
        rr = r.chan("pipe", "r/w")
        self.assertEqual(len(rr["refs"]), 1)  # os.pipe(): both ends share one inode
        s = r.by_name("simplex")
        self.assertEqual(r.flows(rr["ref"]), {(s, r.main()): 4})

    def test_pool_map(self):
        r = self.rec
        main = r.main()
        pool = next(p for _, p in r.pools if p["kind"] == "pool")
        self.assertEqual((pool["processes"], pool["name"]), (2, "pool"))
        calls = [c for _, c in r.pcalls if c["pool"] == pool["ref"]]
        self.assertEqual([(c["method"], c["tasks"], c["chunksize"]) for c in calls], [("map", 20, 5)])
        tasks = r.tasks(pool["tasks"])
        self.assertEqual(sum(v[0] for v in tasks.values()), 4)
        self.assertEqual(sum(v[1] for v in tasks.values()), 20)
        for pid in tasks:
            self.assertEqual(r.procs[pid]["role"], "pool-worker")
        results = {k: v for k, v in r.flows(pool["results"]).items() if k[0] != main}
        self.assertEqual(sum(results.values()), 4)
        self.assertTrue(all(to == main for _, to in results))
        dispatched = {k: v for k, v in r.flows(pool["tasks"]).items() if k[0] == main}
        self.assertGreaterEqual(sum(dispatched.values()), 4)
        self.assertEqual(r.chan("pool", "pool tasks")["pool"], pool["ref"])

    def test_executor(self):
        r = self.rec
        main = r.main()
        ex = next(p for _, p in r.pools if p["kind"] == "executor")
        calls = [c for _, c in r.pcalls if c["pool"] == ex["ref"]]
        self.assertEqual([c["method"] for c in calls], ["submit"] * 8)
        self.assertEqual([c["job"] for c in calls], list(range(8)))
        tasks = r.tasks(ex["tasks"])
        self.assertEqual(sum(v[1] for v in tasks.values()), 8)
        for pid in tasks:
            self.assertEqual(r.procs[pid]["role"], "executor-worker")
        results = r.flows(ex["results"])
        self.assertEqual(sum(v for (frm, to), v in results.items() if frm != main), 8)

    def test_manager(self):
        r = self.rec
        main = r.main()
        server = r.by_role("manager")[0]
        m = r.chan("manager", "manager")
        self.assertTrue(m["ref"].startswith("m"))
        calls = {k.split(" ", 1)[1]: v for k, v in r.ctr[main]["calls"].items() if k.split(" ", 1)[0] == m["ref"]}
        self.assertEqual(calls["__setitem__"], 5)
        self.assertEqual(calls["append"], 3)
        f = r.flows(m["ref"])
        self.assertGreaterEqual(f[(main, server)], 10)
        self.assertEqual(f[(main, server)], f[(server, main)])  # one reply per request
        # Manager connections are not counted as anonymous pipes anywhere.
        for pid, c in r.ctr.items():
            for k in c.get("recv", {}):
                ref = k.split(" ")[0]
                self.assertTrue(ref.startswith("m") or ref in r.alias(), (pid, k))
        tags = {e[6] for e in r.events[server] if e[0] == "m"}
        self.assertIn("__setitem__", tags)


class _Pools:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "pools.py", cls.method)

    def setUp(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)

    def test_output(self):
        self.assertEqual(self.rec.stdout, "506 [0, 1, 4, 9, 16] [0, 1, 4, 9, 16, 25] [0, 1, 4] [3, 7, 11, 15] 81 3 [0, 1, 4, 9, 16, 25] [4, 9]\n")

    def test_pool_calls_and_chunks(self):
        r = self.rec
        pools = [p for _, p in r.pools if p["kind"] == "pool"]
        self.assertEqual(len(pools), 2)
        big, small = pools
        self.assertEqual(small["maxtasksperchild"], 2)
        calls = [(c["method"], c["tasks"], c["chunksize"]) for _, c in r.pcalls if c["pool"] == big["ref"]]
        self.assertEqual(calls, [("map", 12, 4), ("imap", 5, 1), ("imap_unordered", 6, 2), ("apply_async", 1, None), ("apply_async", 1, None), ("apply_async", 1, None), ("starmap", 4, 2), ("apply", 1, None)])
        jobs = [c["job"] for _, c in r.pcalls if c["pool"] == big["ref"]]
        self.assertEqual(len(set(jobs)), len(jobs))
        per_job = {}
        for pid, c in r.ctr.items():
            for k, v in c.get("tasks", {}).items():
                ref, job = k.split(" ")
                if ref == big["tasks"]:
                    a = per_job.setdefault(int(job), [0, 0])
                    a[0] += v[0]
                    a[1] += v[1]
        self.assertEqual([per_job[j] for j in jobs], [[3, 12], [5, 5], [3, 6], [1, 1], [1, 1], [1, 1], [2, 4], [1, 1]])
        task_events = [e[2] for p in r.events for e in r.events[p] if e[0] == "task" and e[2]["pool"] == big["tasks"]]
        self.assertEqual(len(task_events), 17)
        self.assertTrue(all(t["ok"] for t in task_events))
        self.assertEqual(sorted(t["chunk"] for t in task_events if t["job"] == jobs[0]), [0, 1, 2])

    def test_maxtasksperchild(self):
        r = self.rec
        small = [p for _, p in r.pools if p["kind"] == "pool"][1]
        tasks = r.tasks(small["tasks"])
        self.assertEqual(sum(v[1] for v in tasks.values()), 5)
        self.assertGreaterEqual(len(tasks), 3)
        self.assertTrue(all(v[0] <= 2 for v in tasks.values()))
        for pid in tasks:
            self.assertEqual(r.procs[pid]["role"], "pool-worker")

    def test_executor_map(self):
        r = self.rec
        ex = next(p for _, p in r.pools if p["kind"] == "executor")
        calls = [(c["method"], c["tasks"], c["chunksize"]) for _, c in r.pcalls if c["pool"] == ex["ref"]]
        self.assertEqual(calls, [("map", 6, 3), ("submit", 1, None), ("submit", 1, None)])
        tasks = r.tasks(ex["tasks"])
        self.assertEqual(sum(v[0] for v in tasks.values()), 4)
        self.assertEqual(sum(v[1] for v in tasks.values()), 8)


class OnceTasks(RuntimeCase):
    """An executor's work items are one task per job: the worker counts them without keeping a
    Python object per task (events.task_once), so a long run does not grow its heap between the
    user's calls; each task is still counted exactly once (test/scripts/once_tasks.py)."""

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "once_tasks.py")

    def test_counted_once_each(self):
        r = self.rec
        self.assertRan(r, "44850\n")
        ex = next(p for _, p in r.pools if p["kind"] == "executor")
        tasks = r.tasks(ex["tasks"])
        (worker,) = tasks
        self.assertEqual(tasks[worker][:2], [302, 302])  # 300 tasks and the two that looked
        entries = r.ctr[worker]["tasks"]
        self.assertEqual(len(entries), 302)
        self.assertTrue(all(v[:2] == [1, 1] and v[2] >= 0 for v in entries.values()))
        jobs = sorted(int(k.split(" ")[1]) for k in entries)
        self.assertEqual(jobs, [c["job"] for _, c in r.pcalls if c["pool"] == ex["ref"]])

    def test_worker_keeps_nothing_per_task(self):
        # "early objects tasks once late objects tasks once": at the 10th task and after the 301st
        w = self.rec.result.stderr.decode().split()
        self.assertEqual((w[0], w[4]), ("early", "late"))
        early, late = [int(x) for x in w[1:4]], [int(x) for x in w[5:8]]
        self.assertEqual((early[1], late[1]), (0, 0))  # nothing in events.tasks
        self.assertEqual((early[2], late[2]), (10, 301))
        self.assertLess(late[0] - early[0], 30)  # the old table: one list per task, +290 here


class ForkMidRunTest(RuntimeCase):
    """A fork child inherits its parent's senders in the middle of a run of untimed trailers (the
    trailer names the sender's pid): its own messages still name it."""

    def test_the_childs_messages_are_its_own(self):
        r = self.record("fork_mid_run.py")
        self.assertRan(r, "1560\n")
        main, child = r.main(), r.by_name("sender")
        self.assertEqual(r.flows(r.chan("pipe", "a/b")["ref"]), {(main, main): 300})
        self.assertEqual(r.flows(r.chan("pipe", "r/w")["ref"]), {(child, main): 40})
        self.assertEqual(r.flows(r.chan("simplequeue", "sq")["ref"]), {(main, main): 300, (child, main): 40})


class OnceTasksLostBatch(unittest.TestCase):
    """events.task_once: a `ctr` event carries each task once, and all of them again after a lost
    batch (forget_counters), as the other counters are."""

    def setUp(self):
        from listener import PYTHON_ROOT

        sys.path.insert(0, PYTHON_ROOT)
        from forkscope_runtime import events

        self.ev = events
        events.clear()

    def tearDown(self):
        self.ev.clear()
        sys.path.pop(0)

    def test_carried_once_then_again(self):
        ev = self.ev
        ev.task_once("p1", 7, 3, 0.25)
        ev.task_once("p2", 8, 1, 0.5)
        first = ev.counters_event(1.0)[2]["tasks"]
        self.assertEqual(first, {"p1 7": [1, 3, 0.25], "p2 8": [1, 1, 0.5]})
        self.assertIsNone(ev.counters_event(2.0))
        ev.task_once("p1", 9, 2, 0.125)
        self.assertEqual(ev.counters_event(3.0)[2]["tasks"], {"p1 9": [1, 2, 0.125]})
        ev.forget_counters()
        self.assertEqual(ev.counters_event(4.0)[2]["tasks"], {"p1 7": [1, 3, 0.25], "p2 8": [1, 1, 0.5], "p1 9": [1, 2, 0.125]})
        ev.clear()  # a fork child: the parent's tasks are not its own
        self.assertIsNone(ev.counters_event(5.0))



class InlineGetTest(RuntimeCase):
    """Queue.get is the standard library's own, recompiled with the count written in
    (queues._inline_get): an untimed message calls no function of the runtime's, and the counts are
    exact with it and with the counting wrapper it falls back to."""

    def test_no_runtime_call_per_message(self):
        r = self.record("inline_get.py", "profile")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        got, calls = r.stdout.splitlines()
        self.assertEqual(got, "3000")
        n = int(calls.split()[0])
        # the timed calls (one in up to 64, and each long wait) and a sender's first message, never one a message
        self.assertLess(n, 1500, calls)  # the counting wrapper it replaces: one call a message at least (3,000)
        self.assertNotIn("recv_bytes", calls.split()[1:])
        self.assertNotIn("__enter__", calls.split()[1:], "the read lock is taken in C")
        self.check_counts(r)

    def test_fallback_counts_exactly(self):
        r = self.record("inline_get.py", "fallback")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout, "3000\n")
        self.check_counts(r)

    def check_counts(self, r):
        q = r.chan("queue", "q")["ref"]
        main = r.main()
        producers = [r.by_name("producer%d" % i) for i in range(3)]
        self.assertEqual(r.flows(q), {(p, main): 1000 for p in producers})

    def test_same_file_lines_and_columns(self):
        """Its code has the plain get's file, first line and line table but for the receive lines,
        each of which holds the whole written-in count; another function is refused."""
        sys.path.insert(0, L.PYTHON_ROOT)
        import dis
        from multiprocessing import queues

        from forkscope_runtime.queues import _inline_get

        orig = queues.Queue.__dict__["get"]
        if getattr(orig, "__wrapped__", None) is not None:
            orig = orig.__wrapped__
        get, lines, (lock_lines, body) = _inline_get(orig)
        self.assertIsNotNone(get)
        a, b = orig.__code__, get.__code__
        self.assertEqual((b.co_filename, b.co_firstlineno, b.co_name), (a.co_filename, a.co_firstlineno, a.co_name))
        with open(a.co_filename, encoding="utf-8") as f:
            text = f.read().splitlines()
        self.assertEqual([text[n - 1].strip() for n in sorted(lines)], ["res = self._recv_bytes()"] * len(lines))
        plain = {n for _, n in dis.findlinestarts(a)}
        self.assertEqual({n for _, n in dis.findlinestarts(b)}, plain)
        self.assertEqual([text[n - 1].strip() for n in sorted(lock_lines)], ["with self._rlock:"])
        before_body = [i.argval for i in dis.get_instructions(b) if i.offset < body]
        self.assertIn("_fk_rl", before_body, "that with takes the queue's _fk_rl")
        self.assertNotIn("_rlock", before_body)
        self.assertEqual(_inline_get(queues.Queue.__dict__["put"]), (None, None, None))

    def test_the_benchs_get_is_counted_as_a_recorded_one(self):
        """bench/msg_cost.py's recorded get: its queue's reader hands out made messages with an
        untimed trailer of pid 4242, and the runtime counts every one of them."""
        import pickle

        n = 2000
        r = self.record(os.path.join("..", "..", "bench", "msg_cost.py"), "work", "get", str(n), "recorded")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        self.assertEqual(r.stdout, "%d\n" % sum(range(n)))
        got = [v[:2] for k, v in r.ctr[r.main()]["recv"].items() if k.endswith(" 4242")]  # (its reader: a ref of its own)
        self.assertEqual(got, [[n, sum(len(pickle.dumps(i)) for i in range(n))]])

    def test_the_benchs_put_is_counted_as_a_recorded_one(self):
        """bench/msg_cost.py's recorded put: its feeder's body, run in the main thread and writing
        to /dev/null, counts every message it sends on the queue's ref."""
        import pickle

        n = 2000
        r = self.record(os.path.join("..", "..", "bench", "msg_cost.py"), "work", "put", str(n), "recorded")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        q = r.chan("queue", "q")
        self.assertEqual(r.ctr[r.main()]["sent"], {q["ref"]: [n, sum(len(pickle.dumps(i)) for i in range(n))]})


for _m in METHODS:
    for _base in (_Flows, _Pools):
        _name = _base.__name__.strip("_") + "_" + _m
        globals()[_name] = type(_name, (_base, RuntimeCase), {"method": _m})
del _m, _base, _name

if __name__ == "__main__":
    unittest.main()
