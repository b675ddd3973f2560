"""Runs ~3 s with two children, printing as it goes; the test kills the
supervisor meanwhile. argv[1] = start method. Ends with a line that depends
on every child's result."""
import multiprocessing as mp
import sys
import time


def work(i, q):
    for k in range(30):
        q.put(i * 100 + k)
        time.sleep(0.05)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    kids = [ctx.Process(target=work, args=(i, q), name="worker-%d" % i) for i in range(2)]
    for k in kids:
        k.start()
    print("started", flush=True)
    total = 0
    for n in range(60):
        total += q.get(timeout=60)
        if n % 10 == 0:
            print("got", n, flush=True)
            sys.stderr.write("progress %d\n" % n)
    for k in kids:
        k.join()
    print("total", total, [k.exitcode for k in kids], flush=True)
