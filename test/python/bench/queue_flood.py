"""Benchmark: 4 producer processes put 100,000 small messages in total on one
Queue; the main process reads them all. argv[1] = start method."""
import multiprocessing as mp
import sys

N = 100_000
PRODUCERS = 4


def produce(q, n, k):
    for i in range(n):
        q.put((k, i))


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=produce, args=(q, N // PRODUCERS, k)) for k in range(PRODUCERS)]
    for p in ps:
        p.start()
    total = 0
    for _ in range(N):
        total += q.get()[1]
    for p in ps:
        p.join()
    print(total)
