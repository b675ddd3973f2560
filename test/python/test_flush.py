"""The flusher's send cadence, in this process (transport.flush, transport._due): at its tick the
flusher sends at once when the buffer holds an event that is not detail, and counters and detail
alone every COUNTERS_MS; any other flush sends everything. A real flood's batches are checked in
test_sampling.py."""

import json
import os
import sys
import threading
import time
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


class RestTest(unittest.TestCase):
    """A quiet process's flusher rests, ticking every REST_MS, and the main thread's next event, wait,
    timed message call or end of a long wait rings it back to its rate (transport.REST_MS). The real
    flusher thread runs here with REST_MS made a minute: what happens within seconds came by the ring."""

    def setUp(self):
        sys.path.insert(0, PYTHON_ROOT)
        from forkscope_runtime import config, emitter, events, transport, waits

        self.E, self.V, self.T, self.W = emitter, events, transport, waits
        self.saved = (emitter.enabled, emitter.main_ident, transport._transport, transport.cfg, transport.REST_MS, transport._cadence[2])
        emitter.set_enabled(True, threading.get_ident())
        events.clear()
        transport.cfg = config.Config("/nonexistent/s.sock", "s", "/", flush_ms=20)
        self.sock = transport._transport = _Socket()
        self.start(60_000)

    def start(self, rest_ms):
        self.T.stop_flusher(5.0)
        self.V.paused[0] = False
        self.T.REST_MS = rest_ms
        self.T.start_flusher()
        self.thread = self.T._thread

    def tearDown(self):
        self.T.stop_flusher(5.0)
        self.V.paused[0] = False
        enabled, ident, self.T._transport, self.T.cfg, self.T.REST_MS, self.T._cadence[2] = self.saved
        self.E.set_enabled(enabled, ident)
        self.V.clear()
        self.W.reset()

    def until(self, cond, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.005)
        return cond()

    def rests(self):
        return self.until(lambda: self.V.paused[0] == self.V.RESTING)

    def test_a_quiet_flusher_rests_and_leaves_the_next_message_wait_timed(self):
        self.W.wait_skip[0] = self.W.wait_skip[1] = 40
        self.assertTrue(self.rests(), "nothing to send: it rests")
        self.assertEqual(self.W.wait_skip[0], 0, "the next message wait reads the clock")
        n = self.T.ticks[0]
        time.sleep(0.3)
        self.assertLessEqual(self.T.ticks[0] - n, 1, "resting, it does not tick at its rate")

    def test_an_event_rings_it_and_goes_at_once(self):
        self.assertTrue(self.rests())
        n = len(self.sock.lines)
        self.E.emit(["warn", 1.0, "x", None, "a warning"])
        self.assertIs(self.V.paused[0], False)
        self.assertTrue(self.until(lambda: len(self.sock.lines) > n), "sent by the ring, not by a tick a minute later")
        self.assertEqual(self.sock.lines[n][0][0], "warn")

    def test_a_timed_message_wait_rings_it(self):
        self.assertTrue(self.rests())
        w = self.W.msg_wait_timed("queue.get", "q1")
        self.assertIsNotNone(w)
        self.assertIs(self.V.paused[0], False)
        n = self.T.ticks[0]
        self.assertTrue(self.until(lambda: self.T.ticks[0] >= n + 3), "back at its rate")
        self.W.msg_wait_end(w)

    def test_the_end_of_a_long_wait_rings_it(self):
        w = self.W.wait_begin("join", "k1", None)
        self.assertTrue(self.until(lambda: w[5]), "the flusher emitted the wait")
        self.assertTrue(self.rests(), "a wait whose w is out leaves nothing to do")
        n = len(self.sock.lines)
        self.W.wait_end(w)
        self.assertTrue(self.until(lambda: any(e[0] == "we" for line in self.sock.lines[n:] for e in line)))

    def test_a_tick_that_sends_ends_the_rest(self):
        self.start(200)
        self.assertTrue(self.rests())
        self.V.sent["p1"] = [1, 10]  # a count changes, nothing rings
        self.assertTrue(self.until(lambda: self.V.paused[0] is False), "its next tick sent the counters")
        self.assertEqual(self.sock.lines[-1][-1][2]["sent"], {"p1": [1, 10]})

    def test_stopping_a_resting_flusher_does_not_wait_for_its_tick(self):
        self.assertTrue(self.rests())
        self.T.stop_flusher(5.0)
        self.assertFalse(self.thread.is_alive())
        self.assertIs(self.V.paused[0], False)


if __name__ == "__main__":
    unittest.main()
