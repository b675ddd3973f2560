"""Sampling under a flood (docs/runtime-protocol.md, "Sampling"): counts and
sender -> receiver flows stay exact while the clock is read on a sample of the
messages, and a long wait right after a flood (when most calls are untimed) is
still emitted, whichever way the main thread waits: a plain get, a get with a
timeout, a get blocked on the queue's read lock, a put on a full bounded queue."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import METHODS, RuntimeCase, script_path  # noqa: E402

N = 20_000


class _Sampling:
    method = None

    @classmethod
    def setUpClass(cls):
        cls.rec = cls.record(cls, "flood_waits.py", cls.method, timeout=180)

    def setUp(self):
        self.assertEqual(self.rec.result.returncode, 0, self.rec.result.stderr)

    def test_output_unchanged(self):
        self.assertEqual(self.rec.stdout, "60000 a b c c ['x', 'y']\n")

    def test_counts_and_flows_exact_latency_sampled(self):
        r = self.rec
        main = r.main()
        q = r.chan("queue", "q")
        flows = r.flows(q["ref"])
        p1, p2 = r.by_name("producer1"), r.by_name("producer2")
        self.assertEqual(flows[(p1, main)], N)
        self.assertEqual(flows[(p2, main)], N)
        self.assertEqual(r.sent(q["ref"])[p1], N)
        recv = r.ctr[main]["recv"]
        for pid in (p1, p2):
            msgs, nbytes, lat_sum, lat_max, lat_n = recv["%s %d" % (q["ref"], pid)]
            self.assertEqual(msgs, N)
            self.assertGreater(nbytes, 0)
            self.assertGreaterEqual(lat_n, 1)
            self.assertLess(lat_n, msgs)  # a flood is sampled
            self.assertGreaterEqual(lat_sum, 0.0)
            self.assertLessEqual(lat_sum, lat_n * lat_max + 1e-9)
        # Every received message is either detailed (an m event) or counted as dropped detail.
        c = r.ctr[main]
        m_events = sum(1 for e in r.events[main] if e[0] in ("m", "task"))
        self.assertEqual(c.get("detail", 0), m_events)
        received = sum(v[0] for v in c["recv"].values())
        self.assertEqual(c.get("detail", 0) + c.get("dropped", 0), received)

    def test_counters_and_detail_alone_go_every_100_ms(self):
        """transport.COUNTERS_MS: under the flood every process's counters change at each 20 ms tick
        and its buffer fills with sampled detail; a batch that holds nothing else comes five ticks
        after the one before, so at least four whole ticks (80 ms) later (that one's flush may fall
        between two ticks, as a process's first does). Its `ctr` carries its flush's time; the batch
        before is dated by its last event, which is no later than its flush. Sent at every tick,
        they came 20 ms apart."""
        detail = {"m", "task", "hold"}
        for name in ("producer1", "producer2", None):
            pid = self.rec.by_name(name) if name else self.rec.main()
            batches = self.rec.batches[pid]
            gaps = []
            for before, batch in zip(batches, batches[1:]):
                kinds = {e[0] for e in batch}
                if "ctr" in kinds and kinds <= detail | {"ctr"}:
                    ctr = [e for e in batch if e[0] == "ctr"][-1]
                    gaps.append(ctr[1] - max(e[1] for e in before))
            self.assertTrue(gaps, (name, [[e[0] for e in b] for b in batches][:40]))
            self.assertGreaterEqual(min(gaps), 0.078, (name, sorted(gaps)[:10]))

    def test_long_waits_after_a_flood_are_emitted(self):
        r = self.rec
        main = r.main()
        waits = r.waits(main)
        q = r.chan("queue", "q")["ref"]
        bq = r.chan("queue", "bq")["ref"]
        long_gets = [w for w in waits if w[0] == "queue.get" and w[1] == q and w[3] - w[2] > 0.2]
        # the plain get, the get with a timeout, the get that waited for the read lock
        self.assertGreaterEqual(len(long_gets), 3, waits)
        puts = [w for w in waits if w[0] == "queue.put" and w[1] == bq]
        self.assertTrue(puts and puts[0][3] - puts[0][2] > 0.2, waits)
        for w in waits:
            self.assertIsNotNone(w[3], w)
            self.assertLessEqual(w[2], w[3])
        spans = sorted((w[2], w[3]) for w in waits)
        for a, b in zip(spans, spans[1:]):
            self.assertLessEqual(a[1], b[0] + 1e-6)
        # Short waits of the flood are counted (estimated from the sampled ones), not emitted one by one.
        self.assertLess(len(waits), 200)


class _OneGet(RuntimeCase):
    def the_get(self, r):
        """(begin, end) of the main process's one long get of queue `q`."""
        main = r.main()
        q = r.chan("queue", "q")["ref"]
        gets = [w for w in r.waits(main) if w[0] == "queue.get" and w[1] == q]
        self.assertEqual(len(gets), 1, r.waits(main))
        return gets[0][2], gets[0][3]


class UntimedWaitTest(_OneGet):
    """An untimed get (the countdown says so) that blocks: found by the flusher, not by the call."""

    def test_untimed_get_is_emitted_with_its_site(self):
        r = self.record("untimed_wait.py", "fork")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        got, t0, t1 = r.stdout.split()
        t0, t1 = float(t0), float(t1)
        self.assertEqual(got, "late")
        begin, end = self.the_get(r)
        # Stamped at the flusher tick that first saw it (flushMs = 20 ms; a loaded machine is slower), ended by the call.
        self.assertGreaterEqual(begin, t0)
        self.assertLess(begin - t0, 0.25)
        self.assertLessEqual(end, t1)
        self.assertLess(t1 - end, 0.05)
        sites = [e for e in r.events[r.main()] if e[0] == "ws"]
        with open(script_path("untimed_wait.py")) as f:
            line = next(i for i, text in enumerate(f, 1) if "the untimed get" in text)
        self.assertTrue(any(e[2] == begin and e[4] == line and e[3].endswith("untimed_wait.py") for e in sites), sites)


class RestTest(_OneGet):
    """A quiet process's flusher rests (transport.REST_MS): a second of computing with nothing to
    report costs far fewer ticks than at flushMs, and the get that follows is recorded as it was."""

    def test_a_computing_process_rests_and_its_next_wait_is_recorded(self):
        r = self.record("quiet_rest.py", "fork")
        self.assertEqual(r.result.returncode, 0, r.result.stderr)
        got, ticks, seconds, t0, t1 = r.stdout.split()
        ticks, seconds, t0, t1 = int(ticks), float(seconds), float(t0), float(t1)
        self.assertEqual(got, "late")
        # At flushMs (20 ms) the compute would take seconds / 0.02 ticks (a loaded machine: fewer);
        # resting, one per 100 ms after its first 100-200 ms.
        self.assertGreater(ticks, 0)
        self.assertLess(ticks, 0.5 * seconds / 0.02, "%d ticks in %.2f s" % (ticks, seconds))
        begin, end = self.the_get(r)
        # Resting, the flusher left the get timed: its start is the call's own clock.
        self.assertGreaterEqual(begin, t0)
        self.assertLess(begin - t0, 0.05)
        self.assertLessEqual(end, t1)


for _m in METHODS:
    globals()["Sampling_" + _m] = type("Sampling_" + _m, (_Sampling, RuntimeCase), {"method": _m})
del _m

if __name__ == "__main__":
    unittest.main()
