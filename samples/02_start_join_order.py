"""02 · start/join order decides whether work overlaps.

Three workers each burn ~0.4 s of CPU. Serial: start one, join it, start the
next — no overlap, ~1.2 s. Parallel: start all, then join all — they overlap,
~0.4 s on a machine with 3+ cores.

In the inspector, look at:
  * the timeline: the first three workers run one after another (the staircase);
    the last three run side by side;
  * the main process's waits: join(serial-1), join(serial-2)… each before the
    next start, versus three joins in a row at the end;
  * the CPU chart: ~100 % (one core) in the serial part, ~300 % in the parallel part.
"""
import multiprocessing as mp
import time


def burn(seconds):
    """Keeps one core busy for about `seconds`."""
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


if __name__ == "__main__":
    t = time.perf_counter()
    for i in range(3):
        p = mp.Process(target=burn, args=(0.4,), name=f"serial-{i + 1}")
        p.start()
        p.join()  # joining before starting the next: nothing overlaps
    serial = time.perf_counter() - t

    t = time.perf_counter()
    workers = [mp.Process(target=burn, args=(0.4,), name=f"parallel-{i + 1}") for i in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()  # all started first: they overlap
    parallel = time.perf_counter() - t
    print(f"serial: {serial:.2f} s, parallel: {parallel:.2f} s, speed-up {serial / parallel:.1f}x")
