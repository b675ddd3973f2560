"""Deadlock: the parent joins a child before reading the 1 MiB it put on a Queue.

argv[1]: seconds the join waits before the script breaks the deadlock itself (default 30).
"""
import multiprocessing as mp
import sys


def write_big(q):
    q.put(b"x" * (1 << 20))


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    q = mp.Queue()
    p = mp.Process(target=write_big, args=(q,), name="stuck-writer")
    p.start()
    p.join(timeout=patience)  # the mistake: join before get
    data = q.get(timeout=30)
    p.join()
    print(len(data), p.exitcode)
