"""Output per process: each process's own writes to sys.stdout/sys.stderr are
recorded as `out` events with its pid, the stream and the time, while the
terminal gets exactly the bytes of a plain run (fork, spawn, forkserver); a
child's traceback is attributed to it; the per-process cap is noted."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, RuntimeCase  # noqa: E402


def outs(rec, pid, stream):
    return "".join(e[3] for e in rec.events.get(pid, []) if e[0] == "out" and e[2] == stream)


class OutputTest(RuntimeCase):
    def test_lines_attributed_to_the_exact_pid(self):
        for m in METHODS:
            with self.subTest(method=m):
                # one process at a time: byte-identical terminal output, traceback included
                plain = self.plain("output_three.py", m, "seq")
                seq = self.record("output_three.py", m, "seq")
                self.assertEqual(seq.result.stdout, plain.stdout)
                self.assertEqual(seq.result.stderr, plain.stderr)
                self.assertEqual(seq.result.returncode, plain.returncode)
                # three processes at once: every line attributed to the process that wrote it. Block-buffered
                # (PYTHONUNBUFFERED unset): unbuffered, print's text and its newline are two writes, and the
                # three processes' writes can interleave mid-line with or without Forkscope.
                buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
                plain = self.plain("output_three.py", m, env=buffered)
                rec = self.record("output_three.py", m, env=buffered)
                names = {rec.main(): "main", rec.by_name("a"): "a", rec.by_name("b"): "b"}
                seen = 0
                for pid in rec.events:
                    for stream in ("stdout", "stderr"):
                        for line in outs(rec, pid, stream).splitlines():
                            mm = re.match(r"(\w+) (line|err) \d+$", line)
                            if mm:
                                self.assertEqual(mm.group(1), names.get(pid), (pid, line))
                                self.assertEqual(mm.group(2) == "err", stream == "stderr", line)
                                seen += 1
                self.assertEqual(seen, 3 * 6 + 3 * 3)  # every line, attributed
                self.assertEqual(sorted(rec.result.stdout.splitlines()), sorted(plain.stdout.splitlines()))
                # every recorded stdout line is in the terminal's bytes
                main = rec.main()
                self.assertIn("big:" + "x" * 50 + "!\n", outs(rec, main, "stdout"))
                b = rec.by_name("b")
                err = outs(rec, b, "stderr")
                self.assertIn("Traceback (most recent call last)", err)
                self.assertIn("ValueError: child b failed on purpose", err)
                self.assertNotIn("Traceback", outs(rec, main, "stderr"))
                self.assertNotIn("Traceback", outs(rec, rec.by_name("a"), "stderr"))
                times = [e[1] for e in rec.events[b] if e[0] == "out"]
                self.assertEqual(times, sorted(times))

    def test_cap(self):
        plain = self.plain("output_three.py", "fork", "seq", "cap")
        rec = self.record("output_three.py", "fork", "seq", "cap")
        self.assertEqual(rec.result.stdout, plain.stdout)
        main = rec.main()
        self.assertEqual(len(outs(rec, main, "stdout")) + len(outs(rec, main, "stderr")), 1024 * 1024)
        caps = [e for e in rec.events[main] if e[0] == "outcap"]
        self.assertEqual(len(caps), 1)
        self.assertEqual(caps[0][2], 1024 * 1024)
        self.assertFalse([e for e in rec.events[rec.by_name("a")] if e[0] == "outcap"])


if __name__ == "__main__":
    unittest.main()
