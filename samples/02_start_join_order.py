"""02 · start/join order decides whether work overlaps.

Three workers each do the same fixed amount of work (~0.4 s of CPU on a
typical machine). Serial: start one, join it, start the next — no overlap,
~1.2 s. Parallel: start all, then join all — they overlap, ~0.4 s on a machine
with 3+ cores, ~0.6 s on 2. The speed-up printed at the end is measured, so it
says how many cores the work really got.

In the inspector, look at:
  * the timeline: the first three workers run one after another (the staircase);
    the last three run side by side;
  * the main process's waits: join(serial-1), join(serial-2)… each before the
    next start, versus three joins in a row at the end;
  * the CPU chart: ~100 % (one core) in the serial part, up to ~300 % in the
    parallel part (as many cores as the machine gives).
Run it pinned to one core (`taskset -c 0 python3 02_start_join_order.py`, or
Forkscope with that as the interpreter): the parallel workers then take turns
on the CPU — the timeline shows each of them "ready" (runnable, waiting for a
CPU) for about two thirds of its life, as three share one core — and the
speed-up is ~1x.
"""
import multiprocessing as mp
import os
import time

WORK = 20_000_000  # loop steps per worker: the same work whatever the clock says


def burn(steps):
    """A fixed amount of CPU work (not a deadline: waiting for the CPU makes it take longer)."""
    n = 0
    for i in range(steps):
        n += i & 1
    return n


if __name__ == "__main__":
    t = time.perf_counter()
    for i in range(3):
        p = mp.Process(target=burn, args=(WORK,), name=f"serial-{i + 1}")
        p.start()
        p.join()  # joining before starting the next: nothing overlaps
    serial = time.perf_counter() - t

    t = time.perf_counter()
    workers = [mp.Process(target=burn, args=(WORK,), name=f"parallel-{i + 1}") for i in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()  # all started first: they overlap
    parallel = time.perf_counter() - t
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"serial: {serial:.2f} s, parallel: {parallel:.2f} s, speed-up {serial / parallel:.1f}x on {cores} core(s)")
