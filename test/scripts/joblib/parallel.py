"""joblib's Parallel on one backend: 40 calls of f, batch_size fixed so joblib's batches are known.

Usage: parallel.py BACKEND [BATCH_SIZE]  (BACKEND: loky or multiprocessing; BATCH_SIZE: an int or auto)
Prints the results, so a run with and without Forkscope can be compared byte for byte.
"""

import sys

from joblib import Parallel, delayed


def f(i):
    s = 0
    for k in range(2000):
        s += (i * k) % 7
    return i * i + s


if __name__ == "__main__":
    backend = sys.argv[1] if len(sys.argv) > 1 else "loky"
    bs = sys.argv[2] if len(sys.argv) > 2 else "4"
    results = Parallel(n_jobs=2, backend=backend, batch_size=int(bs) if bs != "auto" else "auto")(delayed(f)(i) for i in range(40))
    print(backend, sum(results), results[:5], results[-1])
