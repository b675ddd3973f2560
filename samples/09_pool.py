"""09 · Pool: map with chunksizes, map_async, imap, apply_async.

A Pool keeps worker processes alive and hands them tasks. `map` splits the
input into *chunks*: chunksize=1 sends 24 small messages, chunksize=8 sends 3
big ones (less overhead, but coarser load balancing). `map_async` returns at
once; `imap` yields results one by one, in order; `apply_async` runs one call.

In the inspector, look at:
  * the Pools tab: each call with its tasks and chunksize; the tasks and chunks
    each worker took over all calls, with a bar showing how evenly they were
    spread (it changes from run to run: whoever is free takes the next chunk);
    and the chart of the chunks each worker ran, a colour per call (the
    chunksize=8 map: 3 chunks of 8 tasks);
  * the timeline: each worker's task bands, and arrows for tasks and results;
  * the main process waiting on AsyncResult.get.
"""
import multiprocessing as mp
import time


def square(n):
    """A small task: a bit of sleep stands for work."""
    time.sleep(0.01 * (n % 4))
    return n * n


if __name__ == "__main__":
    with mp.Pool(processes=3) as pool:
        a = pool.map(square, range(24), chunksize=1)
        b = pool.map(square, range(24), chunksize=8)
        pending = pool.map_async(square, range(12))
        c = list(pool.imap(square, range(12), chunksize=2))
        d = pool.apply_async(square, (7,)).get(timeout=10)
        e = pending.get(timeout=10)
    assert a == b and c == e and d == 49
    print("sum of squares:", sum(a), "· imap in order:", c[:5], "…")
