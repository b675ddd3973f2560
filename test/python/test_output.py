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
from listener import PYTHON_ROOT  # noqa: E402


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


class TakeTest(unittest.TestCase):
    """output's write hook and _take in this process: each run of writes to one stream is one `out`
    event, with each write's length and time when it is more than one; a periodic flush keeps an
    unfinished last write back, once, so an unbuffered print's text and newline go together."""

    def setUp(self):
        sys.path.insert(0, PYTHON_ROOT)
        from forkscope_runtime import emitter, events, output

        self.E, self.output, self.buf = emitter, output, events.buf
        self.was_enabled = emitter.enabled
        emitter.enabled = True
        output._reset()
        self.buf.clear()
        self.terminal = []
        self.stdout = output._make_write(self.terminal.append, "stdout")
        self.stderr = output._make_write(self.terminal.append, "stderr")

    def tearDown(self):
        self.E.enabled = self.was_enabled
        self.output._reset()
        self.buf.clear()

    def take(self, periodic):
        self.output._take(periodic)
        got = list(self.buf)
        self.buf.clear()
        return got

    def test_each_write_in_a_run(self):
        before = self.E.time()
        self.stdout("one")
        self.stdout("\n")
        self.stderr("err\n")
        self.stdout("two\n")
        after = self.E.time()
        got = self.take(False)
        self.assertEqual(self.terminal, ["one", "\n", "err\n", "two\n"])
        self.assertEqual([e[:4] for e in got], [["out", got[0][1], "stdout", "one\n"], ["out", got[1][1], "stderr", "err\n"], ["out", got[2][1], "stdout", "two\n"]])
        self.assertEqual([len(e) for e in got], [5, 4, 4], "write lengths and times only for a run of more than one")
        n1, d1, n2, d2 = got[0][4]
        self.assertEqual((n1, d1, n2), (3, 0, 1))
        self.assertTrue(0 <= d2 <= (after - before) * 1e6 + 1, d2)
        self.assertTrue(before <= got[0][1] <= got[1][1] <= got[2][1] <= after)

    def test_text_and_its_newline_in_one_event(self):
        self.stdout("line 1\n")
        self.stdout("line 2")
        got = self.take(True)
        self.assertEqual([e[3] for e in got], ["line 1\n"], "the unfinished write waits")
        self.stdout("\n")  # the print's newline, written after the flush
        got = self.take(True)
        self.assertEqual([e[3] for e in got], ["line 2\n"])
        self.assertEqual(got[0][4][:3], [6, 0, 1])
        self.assertEqual(self.output._pending, [])

    def test_kept_back_once_then_sent_alone(self):
        self.stderr("50%")
        self.assertEqual(self.take(True), [])
        self.assertEqual([e[2:] for e in self.take(True)], [["stderr", "50%"]], "the next periodic flush sends it")
        self.stdout("60%")
        self.stderr("70%")
        self.assertEqual([e[2:] for e in self.take(True)], [["stdout", "60%"]])
        self.stdout("80%")
        self.assertEqual([e[2:] for e in self.take(True)], [["stderr", "70%"]], "a newer unfinished write is kept back instead")
        self.assertEqual([e[2:] for e in self.take(False)], [["stdout", "80%"]], "any other flush sends everything")
        self.stdout("90%")
        self.assertEqual([e[2:] for e in self.take(False)], [["stdout", "90%"]])

    def test_a_kept_write_keeps_its_time(self):
        self.stdout("a")
        self.stdout("b")
        (a,) = self.take(True)
        self.assertEqual(a[2:], ["stdout", "a"])
        mark, text = self.output._pending
        self.assertEqual((mark[1], text), ("stdout", "b"), "back as a run of its own")
        self.assertGreaterEqual(mark[0], a[1])
        (b,) = self.take(True)
        self.assertEqual(b, ["out", mark[0], "stdout", "b"])


if __name__ == "__main__":
    unittest.main()
