"""A child that exits 1 s before its parent joins it. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def quick(ev):
    ev.set()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    ev = ctx.Event()
    p = ctx.Process(target=quick, args=(ev,), name="zombie")
    p.start()
    ev.wait()
    time.sleep(1.0)
    p.join()
    print(p.exitcode)
