"""Benchmark reference, without Forkscope: queue_flood.py with the least any
tool that counts messages per sender must add on each end. The pickler of the
queues module writes a 16-byte trailer into each pickle; the reader counts
each message per trailer with one slice and one lookup. No clock, no events,
no runtime. `npm run bench` prints this against plain queue_flood.py: the
cost of a bare hook, the floor under Forkscope's own figure. Same argv.

With FLOOR_TICK_MS=N in the environment each process also runs a thread that
wakes every N ms and does nothing else: the least a recorder pays for a
periodic thread in each process (Forkscope's flusher ticks every 20 ms)."""
import io
import os
import threading
import multiprocessing.queues as queues
import multiprocessing.reduction as reduction
import sys

from queue_flood import flood

TRAILER = b"FkU1" + bytes(12)
counts = [0, 0]


class CountingPickler(reduction.ForkingPickler):
    @staticmethod
    def dumps(obj, protocol=None):
        f = io.BytesIO()
        CountingPickler(f, protocol).dump(obj)
        n = f.tell()
        f.write(TRAILER)
        counts[0] += 1
        counts[1] += n
        return f.getbuffer()


queues._ForkingPickler = CountingPickler  # module level: fork children inherit it, spawn children import it

TICK_S = float(os.environ.get("FLOOR_TICK_MS", "0")) / 1000.0


def _tick():
    wake = threading.Event()
    while True:
        wake.wait(TICK_S)


def start_ticker():
    threading.Thread(target=_tick, name="floor-ticker", daemon=True).start()


if TICK_S > 0:
    start_ticker()  # this process (a spawn child imports this module too)
    os.register_at_fork(after_in_child=start_ticker)  # and each fork child


def count_on_receipt(q):
    recv = type(q._reader).recv_bytes
    reader = q._reader
    table = {}

    def recv_bytes(maxlength=None):
        b = recv(reader, maxlength)
        c = table.get(b[-16:-8])
        if c is None:
            c = table[b[-16:-8]] = [0, 0]
        c[0] += 1
        c[1] += len(b) - 16
        return b

    q.__dict__["_recv_bytes"] = recv_bytes


if __name__ == "__main__":
    flood(sys.argv, count_on_receipt)
