"""Hang: the parent waits on a Queue the only other process never puts to (it ended).

argv[1]: seconds the get() waits (default 30).
"""
import multiprocessing as mp
import queue
import sys


def forgets(q):
    pass  # meant to q.put(...), but does not


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    results = mp.Queue()
    p = mp.Process(target=forgets, args=(results,), name="forgetful")
    p.start()
    try:
        results.get(timeout=patience)
    except queue.Empty:
        print("gave up")
    p.join()
