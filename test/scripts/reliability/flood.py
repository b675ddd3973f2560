"""argv[1] messages (default 1,000,000) of a few bytes through one Queue from
2 producers (argv[2] = start method) to the main process, which prints a
checksum and exits with code 7 (so the exit code is known)."""
import multiprocessing as mp
import sys


def produce(q, start, n):
    for i in range(start, start + n):
        q.put(i)
    q.put(None)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    ctx = mp.get_context(sys.argv[2] if len(sys.argv) > 2 else "fork")
    q = ctx.Queue(10000)
    half = n // 2
    kids = [ctx.Process(target=produce, args=(q, k * half, half), name="producer-%d" % k) for k in range(2)]
    for k in kids:
        k.start()
    total = count = done = 0
    while done < 2:
        x = q.get()
        if x is None:
            done += 1
        else:
            total += x
            count += 1
    for k in kids:
        k.join()
    print(count, total, flush=True)
    sys.exit(7)
