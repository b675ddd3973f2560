"""Prints where it runs from and its arguments, in the main process and in a
spawn child (which re-imports this file by its path)."""
import multiprocessing as mp
import os
import sys


def child(q):
    q.put((os.path.basename(__file__), sys.argv[1:]))


if __name__ == "__main__":
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=child, args=(q,), name="child ✓")
    p.start()
    print(os.path.basename(__file__), os.path.basename(os.getcwd()), sys.argv[1:])
    print(*q.get(timeout=60))
    p.join()
