"""Starts 5 children one after another (a cap test). argv[1] = start method."""
import multiprocessing as mp
import sys


def child(i):
    print("child", i, flush=True)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    for i in range(5):
        p = ctx.Process(target=child, args=(i,))
        p.start()
        p.join()
