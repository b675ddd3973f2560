"""A middle process starts a grandchild and dies at once (os._exit) while the
grandchild goes on: the grandchild is an orphan. argv[1] = start method."""
import multiprocessing as mp
import os
import sys
import time


def grandchild(q):
    time.sleep(1.0)
    q.put("still here")


def middle(q):
    g = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None).Process(target=grandchild, args=(q,), name="grandchild")
    g.start()
    os._exit(0)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    m = ctx.Process(target=middle, args=(q,), name="middle")
    m.start()
    m.join()
    print(q.get(timeout=20))
    time.sleep(0.3)
