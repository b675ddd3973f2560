"""A Queue.get that the runtime does not time (as most gets under a flood):
the main thread blocks in it for 0.6 s. The flusher must find it from the
main thread's stack and emit the wait, and its call site. Prints what it got
and when the get began and ended. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def late(q, delay):
    time.sleep(delay)
    q.put("late")


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    q = ctx.Queue()
    p = ctx.Process(target=late, args=(q, 0.6), name="late")
    p.start()
    rt = sys.modules.get("forkscope_runtime.emitter")
    if rt is not None:
        rt.wait_skip[0] = rt.wait_skip[1] = rt.WAIT_SKIP_MAX  # the next gets are untimed ones
    t0 = time.time()
    got = q.get()  # the untimed get
    t1 = time.time()
    p.join()
    print(got, repr(t0), repr(t1))
