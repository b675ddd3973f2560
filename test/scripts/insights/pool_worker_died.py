"""Hang: a Pool worker dies in the middle of a task; Pool.map never gets that result.

argv[1]: seconds to wait for the results before giving up (default 30).
"""
import multiprocessing as mp
import os
import sys


def work(n):
    if n == 3:
        os._exit(1)  # the worker dies; multiprocessing.Pool does not notice the lost task
    return n * n


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    pool = mp.Pool(2)
    result = pool.map_async(work, range(8), chunksize=1)
    try:
        print(result.get(timeout=patience))
    except mp.TimeoutError:
        print("gave up")
    pool.terminate()
    pool.join()
