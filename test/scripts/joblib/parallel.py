"""joblib's Parallel on one backend: 40 calls of f in n_jobs=2, with a fixed batch size so that
joblib's batches are known (joblib still splits the tail into smaller batches: the script prints
how many it dispatched).

Usage: parallel.py BACKEND [BATCH_SIZE] [CALLS]
  BACKEND: loky or multiprocessing; BATCH_SIZE: an int or auto (default 4); CALLS: how many
  Parallel calls in a row (default 1; loky reuses one executor for all of them).
Prints the results and the batch counts, so runs with and without Forkscope compare byte for byte.
"""

import sys
import time

from joblib import Parallel, delayed


def f(i):
    time.sleep(0.004)  # long enough that both workers take batches
    s = 0
    for k in range(2000):
        s += (i * k) % 7
    return i * i + s


if __name__ == "__main__":
    backend = sys.argv[1] if len(sys.argv) > 1 else "loky"
    bs = sys.argv[2] if len(sys.argv) > 2 else "4"
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for n in range(calls):
        parallel = Parallel(n_jobs=2, backend=backend, batch_size=int(bs) if bs != "auto" else "auto")
        results = parallel(delayed(f)(i) for i in range(40 + n))
        print(backend, "tasks", parallel.n_dispatched_tasks, "batches", parallel.n_dispatched_batches, "sum", sum(results), results[:5], results[-1])
