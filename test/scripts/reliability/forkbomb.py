"""A bounded fork bomb: every process starts two children until the tree is
argv[1] levels deep (2^(levels+1) - 1 processes), and each leaf sleeps
argv[2] seconds (600: until stopped). Prints "ready" when every leaf is up.
argv[3] = start method."""
import multiprocessing as mp
import sys
import time


def grow(level, levels, sleep, method, ready):
    if level == levels:
        ready.release()
        time.sleep(sleep)
        return
    ctx = mp.get_context(method)
    kids = [ctx.Process(target=grow, args=(level + 1, levels, sleep, method, ready)) for _ in range(2)]
    for k in kids:
        k.start()
    for k in kids:
        k.join()


if __name__ == "__main__":
    levels, sleep, method = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    ctx = mp.get_context(method)
    ready = ctx.Semaphore(0)
    kids = [ctx.Process(target=grow, args=(1, levels, sleep, method, ready)) for _ in range(2)]
    for k in kids:
        k.start()
    for _ in range(2 ** levels):
        ready.acquire()
    print("ready", 2 ** (levels + 1) - 1, flush=True)
    for k in kids:
        k.join()
    print("done", flush=True)
