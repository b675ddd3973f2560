"""Too many processes: five CPU-bound processes on a machine with fewer cores."""
import multiprocessing as mp
import os


def spin(n):
    total = 0
    for i in range(n):
        total += i & 3


if __name__ == "__main__":
    count = 2 * (os.cpu_count() or 1) + 1
    procs = [mp.Process(target=spin, args=(15_000_000,), name=f"spinner-{i}") for i in range(count)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(count)
