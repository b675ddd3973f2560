"""Prints the main process's and a spawn child's os.environ as JSON lines."""
import json
import multiprocessing as mp
import os


def child(q):
    q.put(dict(os.environ))


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start()
    print(json.dumps(dict(os.environ), sort_keys=True))
    print(json.dumps(q.get(timeout=60), sort_keys=True))
    p.join()
