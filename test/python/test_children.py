"""Children started outside multiprocessing, from real runs (test/scripts/children.py):
Python interpreters started with subprocess, `python -m`, a `#!` script,
os.execv and os.posix_spawn join the run with their own pools; commands that
are not Python are named with their exit codes; a raw os.fork() child's exit
code comes from the parent's waitpid; multiprocessing's helpers say their
exit code. Every case prints the same bytes with and without Forkscope."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, SCRIPTS, RuntimeCase  # noqa: E402


def reaps(rec, pid):
    """{child pid: exit code} of the reap events of a process (the last word per child)."""
    return {e[2]: e[3] for e in rec.of_type(pid, "reap")}


class ChildrenCase(RuntimeCase):
    def run_both(self, mode, env=None):
        rec = self.record("children.py", mode, env=env)
        plain = self.plain("children.py", mode, env=env)
        self.assertEqual(rec.result.stdout, plain.stdout, mode)
        self.assertEqual(rec.result.stderr, plain.stderr, mode)
        self.assertEqual(rec.result.returncode, plain.returncode, mode)
        self.assertEqual(rec.refused, 0)
        return rec

    def assert_inner_pool(self, rec, inner):
        """The inner interpreter's Pool(2).map(square, range(12), chunksize=3), recorded in full."""
        (pool_pid, pool), = rec.pools
        self.assertEqual(pool_pid, inner)
        workers = rec.by_role("pool-worker")
        self.assertEqual(len(workers), 2)
        for w in workers:
            self.assertEqual(rec.parent(w), inner)
        calls = [c for p, c in rec.pcalls if c["pool"] == pool["ref"]]
        self.assertEqual([(c["method"], c["tasks"], c["chunksize"]) for c in calls], [("map", 12, 3)])
        per = rec.tasks(pool["tasks"])
        self.assertEqual(sum(v[0] for v in per.values()), 4)
        self.assertEqual(sum(v[1] for v in per.values()), 12)
        self.assertLessEqual(set(per), set(workers))
        dispatched = rec.flows(pool["tasks"])
        self.assertEqual({f for f, _ in dispatched}, {inner})
        self.assertLessEqual({t for _, t in dispatched}, set(workers))
        self.assertGreaterEqual(sum(dispatched.values()), 4)  # 4 chunks (and the workers' stop sentinels)
        results = {k: v for k, v in rec.flows(pool["results"]).items() if k[0] != inner}
        self.assertEqual(sum(results.values()), 4)
        self.assertEqual({t for _, t in results}, {inner})

    def subprocess_child(self, rec, how):
        main = rec.main()
        (inner,) = rec.by_role("subprocess")
        info = rec.procs[inner]
        self.assertEqual(info["ppid"], main)
        self.assertEqual(rec.parent(inner), main)
        self.assertEqual(info["startMethod"], how)
        self.assertEqual(info["startedBy"], main)
        self.assertEqual(info["python"], sys.version.split()[0])
        self.assertEqual(reaps(rec, main)[inner], 7)
        return main, inner

    def test_subprocess_python_with_pool(self):
        rec = self.run_both("subprocess")
        main, inner = self.subprocess_child(rec, "subprocess")
        self.assertEqual(rec.procs[inner]["name"], "children_inner.py")
        self.assertEqual(rec.procs[inner]["argv"][1:], ["pool"])
        popen = rec.of_type(main, "popen")
        self.assertEqual([(e[2], e[3]["python"], e[3]["how"]) for e in popen], [(inner, True, "subprocess")])
        self.assert_inner_pool(rec, inner)

    def test_python_dash_m(self):
        rec = self.run_both("module")
        main, inner = self.subprocess_child(rec, "subprocess")
        self.assertEqual(rec.procs[inner]["name"], "python -m children_inner")
        self.assert_inner_pool(rec, inner)

    def test_shebang_script(self):
        rec = self.run_both("shebang")
        main, inner = self.subprocess_child(rec, "subprocess")
        self.assertTrue(rec.procs[inner]["name"].startswith("fk-shebang-"))
        self.assert_inner_pool(rec, inner)

    def test_posix_spawn(self):
        rec = self.run_both("posix_spawn")
        main, inner = self.subprocess_child(rec, "posix_spawn")
        self.assert_inner_pool(rec, inner)

    def test_execv_into_python(self):
        rec = self.run_both("execv")
        self.assertEqual(rec.result.returncode, 7)
        main = rec.main()
        (ex,) = rec.of_type(main, "exec")
        self.assertTrue(ex[2]["python"])
        self.assertEqual(ex[2]["argv"][1:], [os.path.join(SCRIPTS, "children_inner.py"), "pool"])
        procs = rec.of_type(main, "proc")
        self.assertEqual(len(procs), 2)  # the script, then the program it became (same pid)
        self.assertTrue(procs[1][2]["exec"])
        self.assertEqual(rec.by_role("subprocess"), [])
        self.assertEqual(rec.hellos.get(main) is not None, True)
        self.assert_inner_pool(rec, main)

    def test_nested_python_children(self):
        rec = self.run_both("nested")
        main = rec.main()
        outer, inner = sorted(rec.by_role("subprocess"), key=lambda p: rec.procs[p]["argv"][1])
        self.assertEqual(rec.procs[outer]["argv"][1:], ["child"])
        self.assertEqual(rec.parent(outer), main)
        self.assertEqual(rec.parent(inner), outer)
        self.assertEqual(reaps(rec, main)[outer], 4)
        self.assertEqual(reaps(rec, outer)[inner], 7)
        self.assert_inner_pool(rec, inner)

    def test_commands_are_named_with_exit_codes(self):
        rec = self.run_both("commands")
        main = rec.main()
        started = {e[3]["argv"][0]: (e[2], e[3]["python"]) for e in rec.of_type(main, "popen")}
        self.assertEqual(set(started), {"sleep", "sh", "env"})
        self.assertFalse(any(py for _, py in started.values()))
        codes = reaps(rec, main)
        self.assertEqual(codes[started["sleep"][0]], 0)
        self.assertEqual(codes[started["sh"][0]], 5)
        self.assertEqual(codes[started["env"][0]], 0)
        self.assertEqual(rec.by_role("subprocess"), [])
        for pid, _ in started.values():
            self.assertNotIn(pid, rec.events)  # nothing of Forkscope ran in them

    def test_raw_fork_exit_code_from_waitpid(self):
        rec = self.run_both("fork")
        main = rec.main()
        codes = reaps(rec, main)
        self.assertEqual(list(codes.values()), [3])  # the child left through os._exit before its first flush
        self.assertIn("fork exit 3", rec.stdout)

    def test_users_sitecustomize_and_pythonpath_kept(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.path.join(SCRIPTS, "user_site")
        rec = self.run_both("subprocess", env=env)
        self.assertEqual(rec.stdout.count("user sitecustomize True ['user_site']"), 2)  # driver and inner, once each
        self.assertRegex(rec.stdout, r"inner pool \S*user_site False \[\] True")
        self.subprocess_child(rec, "subprocess")

    def test_isolated_child_left_alone(self):
        # `python -I` ignores PYTHONPATH: it is not followed, and gets the environment unchanged.
        rec = self.run_both("isolated")
        main = rec.main()
        self.assertEqual(rec.by_role("subprocess"), [])
        (p,) = rec.of_type(main, "popen")
        self.assertFalse(p[3]["python"])
        self.assertEqual(reaps(rec, main)[p[2]], 0)


class HelperEnds(RuntimeCase):
    def test_resource_tracker_and_forkserver_exit_codes(self):
        methods = [m for m in ("spawn", "forkserver") if m in METHODS]
        for m in methods:
            rec = self.record("children_helpers.py", m)
            self.assertEqual(rec.result.returncode, 0, rec.result.stderr)
            roles = ["resource-tracker"] + (["forkserver"] if m == "forkserver" else [])
            for role in roles:
                (pid,) = rec.by_role(role)
                (ex,) = rec.of_type(pid, "exit")
                self.assertEqual(ex[2], 0, (m, role))


if __name__ == "__main__":
    unittest.main()


class Forkserver314Handshake(RuntimeCase):
    """What 3.14's forkserver does on every fork request (an HMAC challenge both ways over a
    Connection) is not user traffic: only the user's own message is counted."""

    def test_handshake_is_not_a_message(self):
        for m in METHODS:
            rec = self.record("handshake.py", m)
            self.assertEqual(rec.result.stdout, self.plain("handshake.py", m).stdout)
            self.assertEqual(rec.stdout.split(), ["hello", "0", "handshake.py"])
            main, kid = rec.main(), rec.by_name("challenger")
            sent = {pid: sum(v[0] for v in c.get("sent", {}).values()) for pid, c in rec.ctr.items()}
            recv = {pid: sum(v[0] for v in c.get("recv", {}).values()) for pid, c in rec.ctr.items()}
            self.assertEqual(sent.get(kid, 0), 1, m)
            self.assertEqual(sent.get(main, 0), 0, m)
            self.assertEqual(recv.get(main, 0), 1, m)
            self.assertEqual(recv.get(kid, 0), 0, m)
