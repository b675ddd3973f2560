"""Benchmark: N producer processes put small messages on one Queue read by the
main process. argv: total messages (default 100000), producers (default 4),
start method (default: the platform's)."""
import multiprocessing as mp
import sys


def produce(q, n):
    for i in range(n):
        q.put(i)


def flood(argv, on_queue=None):
    """Runs the flood; on_queue(q), when given, sees the queue before the producers start."""
    total = int(argv[1]) if len(argv) > 1 else 100_000
    producers = int(argv[2]) if len(argv) > 2 else 4
    ctx = mp.get_context(argv[3]) if len(argv) > 3 else mp
    q = ctx.Queue()
    if on_queue is not None:
        on_queue(q)
    ps = [ctx.Process(target=produce, args=(q, total // producers)) for _ in range(producers)]
    for p in ps:
        p.start()
    s = 0
    for _ in range(total // producers * producers):
        s += q.get()
    for p in ps:
        p.join()
    print(s)


if __name__ == "__main__":
    flood(sys.argv)
