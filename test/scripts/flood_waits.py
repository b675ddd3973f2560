"""A flood of small Queue messages from two producers, then long waits of the main
thread right after it (when the runtime times only a sample of the calls): a plain
get, a get with a timeout, a get blocked on the queue's read lock held by another
reader, and a put blocked on a full bounded queue. Prints what it received."""
import multiprocessing as mp
import sys
import time

N = 20_000


def produce(q, k):
    for i in range(N):
        q.put(k)


def late(q, delay, items):
    time.sleep(delay)
    for x in items:
        q.put(x)


def reader(q, out):
    out.put(q.get())  # holds q's read lock while it waits


def slow_reader(bq, out):
    time.sleep(0.5)
    out.put(bq.get())
    out.put(bq.get())


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=produce, args=(q, k), name="producer%d" % k) for k in (1, 2)]
    for p in ps:
        p.start()
    total = sum(q.get() for _ in range(2 * N))
    for p in ps:
        p.join()
    # Right after the flood: a long plain get, then a long get with a timeout.
    lp = ctx.Process(target=late, args=(q, 0.5, ["a"]), name="late1")
    lp.start()
    a = q.get()
    lp.join()
    lp = ctx.Process(target=late, args=(q, 0.5, ["b"]), name="late2")
    lp.start()
    b = q.get(timeout=30)
    lp.join()
    # A get that waits for the read lock: another reader holds it while it waits itself.
    out = ctx.SimpleQueue()
    rd = ctx.Process(target=reader, args=(q, out), name="reader")
    rd.start()
    time.sleep(0.3)  # the reader is blocked in get, holding the lock
    lp = ctx.Process(target=late, args=(q, 0.5, ["c", "c"]), name="late3")
    lp.start()
    c = q.get()
    c2 = out.get()
    rd.join()
    lp.join()
    # A put that waits for room in a full bounded queue.
    bq = ctx.Queue(maxsize=1)
    sr = ctx.Process(target=slow_reader, args=(bq, out), name="slow_reader")
    sr.start()
    bq.put("x")
    bq.put("y")  # waits until the slow reader takes "x"
    got = [out.get(), out.get()]
    sr.join()
    print(total, a, b, c, c2, got)
