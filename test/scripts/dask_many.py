"""N tiny tasks (argv[1], default 2000) on a LocalCluster of two worker processes, submitted at once:
test/python/test_dask.py checks that Forkscope's plugin reports them in batches, not one by one."""

import sys

from distributed import Client, LocalCluster


def inc(x):
    return x + 1


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        print(sum(client.gather(client.map(inc, range(n)))))
