"""A process that computes for a second with nothing to report, so its flusher rests (transport.REST_MS),
then blocks in a Queue.get for about half a second. Prints the flusher's ticks during the compute, the
compute's wall seconds, and when the get began and ended. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def late(q, delay):
    time.sleep(delay)
    q.put("late")


def burn(seconds):
    end = time.perf_counter() + seconds
    s = 0
    while time.perf_counter() < end:
        for i in range(10_000):
            s += i * i % 7
    return s


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    q = ctx.Queue()
    p = ctx.Process(target=late, args=(q, 1.6), name="late")
    p.start()
    time.sleep(0.1)  # (the child's start is sent)
    rt = sys.modules.get("forkscope_runtime.transport")
    n0 = rt.ticks[0] if rt else 0
    c0 = time.perf_counter()
    burn(1.0)
    c1 = time.perf_counter()
    n1 = rt.ticks[0] if rt else 0
    t0 = time.time()
    got = q.get()  # the get after the rest
    t1 = time.time()
    p.join()
    print(got, n1 - n0, repr(c1 - c0), repr(t0), repr(t1))
