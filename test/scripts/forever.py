"""Never ends by itself: a child with a grandchild, a Pool, a Manager, all
idle. Prints "ready" once everything has started. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def sleeper():
    time.sleep(600)


def parent():
    g = mp.get_context(sys.argv[1]).Process(target=sleeper, name="grandchild")
    g.start()
    g.join()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    p = ctx.Process(target=parent, name="child")
    p.start()
    pool = ctx.Pool(2)
    pool.map(abs, range(4))
    manager = ctx.Manager()
    d = manager.dict()
    d["x"] = 1
    time.sleep(1.0)  # let the grandchild start
    print("ready", flush=True)
    time.sleep(600)
