"""Runs ~2 s with children and a queue, printing as it goes; the test closes
the supervisor's socket in the middle. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def work(q, i):
    for k in range(20):
        q.put((i, k))
        time.sleep(0.05)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    ps = [ctx.Process(target=work, args=(q, i)) for i in range(2)]
    for p in ps:
        p.start()
    got = [q.get() for _ in range(40)]
    for p in ps:
        p.join()
    with ctx.Pool(2) as pool:
        print(sum(pool.map(abs, range(-50, 50))), flush=True)
    print(len(got), sorted(got)[-1], flush=True)
