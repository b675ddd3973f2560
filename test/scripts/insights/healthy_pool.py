"""No warning expected: a CPU-bound Pool.map with equal tasks, as many workers as cores."""
import multiprocessing as mp
import os


def work(n):
    total = 0
    for i in range(400_000):
        total += i % (n + 1)
    return total


if __name__ == "__main__":
    with mp.Pool(min(2, os.cpu_count() or 1)) as pool:
        print(len(pool.map(work, range(16))))
