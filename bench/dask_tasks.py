"""Benchmark: TASKS tiny tasks (default 10,000) on a dask LocalCluster of WORKERS worker processes
(default 2, one thread each), submitted at once with client.map and gathered. Needs dask.distributed
(Debian's python3-distributed, for /usr/bin/python3). argv: tasks, workers."""
import sys

from distributed import Client, LocalCluster


def inc(x):
    return x + 1


if __name__ == "__main__":
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        print(sum(client.gather(client.map(inc, range(tasks)))))
