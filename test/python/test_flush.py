"""The flusher's send cadence, in this process (transport.flush, transport._due): at its tick the
flusher sends at once when the buffer holds an event that is not detail, and counters and detail
alone every COUNTERS_MS; any other flush sends everything. A real flood's batches are checked in
test_sampling.py."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from listener import PYTHON_ROOT  # noqa: E402


class _Socket:
    """Stands in for transport.Transport: keeps each batch line it is given."""

    def __init__(self):
        self.dead = False
        self.backlog = bytearray()
        self.lines = []
        self.drained = 0

    def send(self, data):
        self.lines.append(json.loads(data))

    def drain(self):
        self.drained += 1


class CadenceTest(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, PYTHON_ROOT)
        from forkscope_runtime import events, transport

        self.V, self.T = events, transport
        self.saved = (events.enabled, transport._transport, transport._cadence[2])
        events.enabled = True
        events.clear()
        self.sock = transport._transport = _Socket()
        transport._cadence[0] = transport._cadence[1] = 0
        transport._cadence[2] = self.ticks = 5  # COUNTERS_MS 100 at the default flushMs 20

    def tearDown(self):
        self.V.enabled, self.T._transport, self.T._cadence[2] = self.saved
        self.V.clear()

    def tick(self):
        """One flusher tick; the batch it sent, or None."""
        n = len(self.sock.lines)
        self.T.flush(True)
        return self.sock.lines[n] if len(self.sock.lines) > n else None

    def count_message(self):
        c = self.V.sent.setdefault("p1", [0, 0])
        c[0] += 1
        c[1] += 10

    def test_counters_and_detail_wait_for_the_fifth_tick(self):
        self.T.flush()  # what was there before: sent, and the count starts here
        for k in range(1, self.ticks):
            self.count_message()
            self.V.append(["m", float(k), "p1", 7, 0.5, 10, None])
            self.assertIsNone(self.tick(), "tick %d" % k)
        self.count_message()
        batch = self.tick()
        self.assertEqual([e[0] for e in batch], ["m"] * (self.ticks - 1) + ["ctr"])
        self.assertEqual(batch[-1][2]["sent"], {"p1": [self.ticks, 10 * self.ticks]}, "counts exact")
        self.assertIsNone(self.tick(), "the count starts again")

    def test_any_other_event_goes_at_the_next_tick(self):
        self.T.flush()
        self.count_message()
        self.V.append(["m", 1.0, "p1", 7, 0.5, 10, None])
        self.assertIsNone(self.tick())
        self.V.append(["w", 2.0, "join", "k1", None])
        self.V.append(["m", 3.0, "p1", 7, 0.5, 10, None])
        batch = self.tick()
        self.assertEqual([e[0] for e in batch], ["m", "w", "m", "ctr"])
        for kind in ("out", "exit", "warn", "bk", "proc"):
            self.V.append([kind, 4.0])
            self.assertEqual([e[0] for e in self.tick()], [kind], kind)

    def test_a_tick_that_sends_nothing_is_no_flush(self):
        """pools.py compares a task's end with last_flush: a tick that kept its events must not
        look like a flush that sent them."""
        self.T.flush()
        before = self.T.last_flush[0]
        self.V.append(["task", 5.0, {"pool": "p2", "job": 0, "chunk": 0, "items": 1, "tBegin": 4.0, "ok": True}])
        self.assertIsNone(self.tick())
        self.assertEqual(self.T.last_flush[0], before)

    def test_other_flushes_send_everything(self):
        self.T.flush()
        self.count_message()
        self.V.append(["m", 1.0, "p1", 7, 0.5, 10, None])
        self.assertIsNone(self.tick())
        self.T.flush()  # a process's end, a pool worker before it waits…
        self.assertEqual([e[0] for e in self.sock.lines[-1]], ["m", "ctr"])
        self.assertEqual(len(self.V.buf), 0)

    def test_a_backlog_is_drained_at_every_tick(self):
        self.T.flush()
        self.sock.backlog += b"x"
        self.assertIsNone(self.tick())
        self.assertEqual(self.sock.drained, 1)

    def test_detail_already_looked_at_is_not_looked_at_again(self):
        self.T.flush()
        for k in range(3):
            self.V.append(["m", float(k), "p1", 7, 0.5, 10, None])
        self.assertIsNone(self.tick())
        self.assertEqual(self.T._cadence[1], 3)
        self.V.append(["hold", 4.0, "l1", 3.5])
        self.assertIsNone(self.tick())
        self.assertEqual(self.T._cadence[1], 4)


if __name__ == "__main__":
    unittest.main()
