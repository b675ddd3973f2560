"""Connects to a dask scheduler started outside the run (its address is argv[1]) with two workers,
runs 12 tasks pinned 5/7 to the two workers, then a sum over partitions pinned one to each worker
(test/node/dask.test.ts starts the scheduler and workers, and asserts on what Forkscope saw)."""

import sys

from distributed import Client


def inc(x):
    return x + 1


def part(i):
    return bytes(20000 + i * 10000)


def total(a, b):
    return len(a) + len(b)


if __name__ == "__main__":
    with Client(sys.argv[1]) as client:
        w = sorted(client.scheduler_info()["workers"])
        assert len(w) == 2, w
        fs = client.map(inc, range(5), workers=[w[0]], pure=False) + client.map(inc, range(5, 12), workers=[w[1]], pure=False)
        print(sum(client.gather(fs)))
        a = client.submit(part, 0, workers=[w[0]], pure=False)
        b = client.submit(part, 1, workers=[w[1]], pure=False)
        s = client.submit(total, a, b, workers=[w[1]], pure=False)
        print(s.result())
