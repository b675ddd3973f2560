"""Benchmark: a CPU-bound Pool.map over N workers (argv[1], default 2)."""
import multiprocessing as mp
import sys


def burn(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with mp.Pool(workers) as pool:
        print(sum(pool.map(burn, [300_000] * 64)))
