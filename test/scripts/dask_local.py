"""A LocalCluster with two worker processes runs 20 known tasks, then a sum over partitions
pinned to each worker (test/node/dask.test.ts asserts on what Forkscope saw of it). --nested: a
task on the first worker makes its own Client (get_client); --fail: a task on the second raises."""

import sys

from distributed import Client, LocalCluster


def square(x):
    return x * x


def part(i):
    return list(range(i * 1000, (i + 1) * 1000))


def total(a, b):
    return sum(a) + sum(b)


def fail(x):
    raise ValueError("bad %d" % x)


def nested(x):
    # A Client inside a task (in the worker process): Forkscope's plugin must not be registered twice.
    from distributed import get_client

    return len(get_client().scheduler_info()["workers"]) + x


if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        w = sorted(client.scheduler_info()["workers"])
        first = client.map(square, range(10), workers=[w[0]], pure=False)
        second = client.map(square, range(10, 20), workers=[w[1]], pure=False)
        print(sum(client.gather(first + second)))
        a = client.submit(part, 0, workers=[w[0]], pure=False)
        b = client.submit(part, 1, workers=[w[1]], pure=False)
        s = client.submit(total, a, b, workers=[w[0]], pure=False)
        print(s.result())
        if "--nested" in sys.argv:
            print("workers seen from a task:", client.submit(nested, 0, workers=[w[0]], pure=False).result())
        if "--fail" in sys.argv:
            e = client.submit(fail, 1, workers=[w[1]], pure=False)
            try:
                e.result()
            except ValueError as exc:
                print("erred:", exc)
