"""Benchmark: a CPU-bound Pool.map, a few seconds of pure-Python arithmetic split
into equal tasks over WORKERS processes. argv: workers (default 2), tasks
(default 64), start method (default: the platform's)."""
import multiprocessing as mp
import sys

WORK = 3_000_000  # loop iterations per task: about 0.2 s of one core (64 tasks on 2 workers: ~7 s)


def burn(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    ctx = mp.get_context(sys.argv[3]) if len(sys.argv) > 3 else mp
    with ctx.Pool(workers) as pool:
        print(sum(pool.map(burn, [WORK] * tasks)))
