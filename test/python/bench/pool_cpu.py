"""Benchmark: a CPU-bound Pool.map over 2 workers. argv[1] = start method."""
import multiprocessing as mp
import sys


def burn(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with ctx.Pool(2) as pool:
        print(sum(pool.map(burn, [400_000] * 64)))
