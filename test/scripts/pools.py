"""Pool and executor calls with known shapes. argv[1] = start method.
Pool(2): map 12 items chunksize 4 (3 chunks), imap 5 items chunksize 1,
imap_unordered 6 items chunksize 2 (3 chunks), apply_async x3, starmap 4 items
chunksize 2, apply x1. Pool(1, maxtasksperchild=2): 5 apply_async -> 3 workers.
Executor(2): map 6 items chunksize 3 (2 work items), submit x2."""
import concurrent.futures as cf
import multiprocessing as mp
import sys


def sq(x):
    return x * x


def add(a, b):
    return a + b


def pid_of(_):
    import os

    return os.getpid()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    with ctx.Pool(2) as pool:
        a = pool.map(sq, range(12), chunksize=4)
        b = list(pool.imap(sq, range(5)))
        c = sorted(pool.imap_unordered(sq, range(6), chunksize=2))
        d = [r.get() for r in [pool.apply_async(sq, (i,)) for i in range(3)]]
        e = pool.starmap(add, [(1, 2), (3, 4), (5, 6), (7, 8)], chunksize=2)
        f = pool.apply(sq, (9,))
    with ctx.Pool(1, maxtasksperchild=2) as small:
        pids = [r.get() for r in [small.apply_async(pid_of, (i,)) for i in range(5)]]
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
        g = list(ex.map(sq, range(6), chunksize=3))
        h = [ex.submit(sq, 2).result(), ex.submit(sq, 3).result()]
    print(sum(a), b, c, d, e, f, len(set(pids)), g, h)
