"""Names from assignments (sites.py): each object a line creates gets the name at its place in the
assignment, on every supported Python (3.11+ by the instruction's source position, 3.9/3.10 and runs
without debug ranges by the call's rank in the statement)."""

import glob
import os
import sys
import unittest

from .support import SCRIPTS, L

EXPECTED = [
    ("chan", "queue", "tasks", 13),
    ("chan", "queue", "results", 13),
    ("chan", "queue", "first", 14),
    ("chan", "simplequeue", "rest[0]", 14),
    ("chan", "joinablequeue", "rest[1]", 14),
    ("lock", "Lock", "head", 15),
    ("lock", "RLock", "middle[0]", 15),
    ("lock", "Semaphore", "middle[1]", 15),
    ("lock", "BoundedSemaphore", "tail", 15),
    ("chan", "pipe", "reader/writer", 16),
    ("chan", "queue", "x", 17),
    ("chan", "queue", "self.q", 8),
    ("lock", "Lock", "self.lk", 9),
    ("chan", "queue", 'qs["in"]', 20),
    ("lock", "Lock", 'table["a"]', 21),
    ("lock", "RLock", 'table["b"]', 21),
    ("shared", "Value", "listed[0]", 22),
    ("shared", "Array", "listed[1]", 22),
    ("chan", "queue", "left", 24),
    ("chan", "queue", "right", 25),
    ("lock", "Lock", "one", 27),
    ("lock", "Lock", "two", 27),
    ("chan", "queue", "walrus", 28),
    ("lock", "Lock", "a", 30),
    ("lock", "Lock", "b", 30),
    ("lock", "Lock", "c", 30),
    ("pool", "pool", "pool", 31),
]


def _pythons():
    """This interpreter, and 3.9 and 3.13 from pyenv when they are installed."""
    out = [sys.executable]
    for v in ("3.9", "3.13"):
        found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s*/bin/python3" % v)))
        if found:
            out.append(found[-1])
    return out


class NamesFromAssignments(unittest.TestCase):
    maxDiff = None

    def names(self, python, env=None):
        lst = L.Listener(detail_rate=2000, max_processes=100)
        try:
            path = os.path.join(SCRIPTS, "names.py")
            r = L.run([path], lst, python=python, cwd=SCRIPTS, env=env)
            lst.wait_idle(10)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            self.assertEqual(r.stdout, b"ok\n")
            with lst.lock:
                events = [e for evs in lst.events.values() for e in evs]
        finally:
            lst.close()
        got = [(e[0], e[2].get("kind"), e[2].get("name"), e[2].get("line")) for e in events if e[0] in ("chan", "lock", "shared", "pool")]
        # A pool's own channels are named after the pool; only the objects the script made are compared.
        return [g for g in got if not (g[0] == "chan" and g[1] == "pool")]

    def test_each_created_object_gets_its_own_name(self):
        for py in _pythons():
            with self.subTest(python=py):
                self.assertEqual(self.names(py), EXPECTED)

    def test_without_debug_ranges_the_rank_in_the_statement_names_it(self):
        py = _pythons()[-1]
        env = dict(os.environ, PYTHONNODEBUGRANGES="1")
        self.assertEqual(self.names(py, env), EXPECTED)


if __name__ == "__main__":
    unittest.main()


class SourceSegments(unittest.TestCase):
    """_Index.src gives what ast.get_source_segment gives (whitespace collapsed), without splitting the
    whole file at each call: named targets in a 1,000-line file took 0.5 s that way."""

    def setUp(self):
        sys.path.insert(0, L.PYTHON_ROOT)

    def check(self, text, name):
        import ast

        from forkscope_runtime import sites

        tree = ast.parse(text, name)
        idx = sites._Index(text, tree)
        n = 0
        for node in ast.walk(tree):
            if not isinstance(node, (ast.expr, ast.stmt)):
                continue
            want = ast.get_source_segment(text, node)
            self.assertEqual(idx.src(node), " ".join(want.split()) or None if want else None, (name, node.lineno, ast.dump(node)[:80]))
            n += 1
        return n

    def test_the_same_text_as_the_ast_module(self):
        import multiprocessing.pool

        for path in (multiprocessing.pool.__file__, os.path.join(SCRIPTS, "names.py")):
            with open(path, encoding="utf-8") as f:
                self.assertGreater(self.check(f.read(), path), 100)

    def test_non_ascii_columns_and_any_line_ends(self):
        text = 'é = {"ü": 1,\n     "ß": [2,\r\n  3]}\rt["ä"] = x.ñ  # ø\n'
        self.assertGreater(self.check(text, "<text>"), 10)

    def test_the_file_is_split_once(self):
        import ast

        from forkscope_runtime import sites

        text = "".join('self.q%d = Queue()\nt["k%d"] = Lock()\n' % (i, i) for i in range(300))
        if not hasattr(ast, "_splitlines_no_ff"):
            self.skipTest("this Python's ast module splits lines another way")
        calls = []
        real = ast._splitlines_no_ff  # pyright: ignore[reportAttributeAccessIssue]
        ast._splitlines_no_ff = lambda *a, **k: calls.append(1) or real(*a, **k)  # pyright: ignore[reportAttributeAccessIssue]
        try:
            idx = sites._Index(text, ast.parse(text))
        finally:
            ast._splitlines_no_ff = real  # pyright: ignore[reportAttributeAccessIssue]
        self.assertEqual(calls, [])
        self.assertEqual(len(idx.names), 600)
        self.assertEqual(sorted(set(idx.names.values()))[:2], ['self.q0', 'self.q1'])
