"""Hang: a child takes a Lock and dies without releasing it; the parent then waits for the lock.

argv[1]: seconds the parent waits for the lock (default 30).
"""
import multiprocessing as mp
import os
import sys


def take_and_die(lock):
    lock.acquire()
    os._exit(3)  # dies holding the lock


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    lock = mp.Lock()
    p = mp.Process(target=take_and_die, args=(lock,), name="holder")
    p.start()
    p.join()
    got = lock.acquire(timeout=patience)
    print("acquired" if got else "gave up", p.exitcode)
