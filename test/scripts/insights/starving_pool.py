"""Starvation in a Pool: imap over a generator that takes 80 ms of CPU per item; the work itself is tiny."""
import multiprocessing as mp
import time


def slow_inputs(n):
    for i in range(n):
        t = time.process_time()
        while time.process_time() - t < 0.08:  # preparing one input
            pass
        yield i


def work(x):
    return x * 2


if __name__ == "__main__":
    with mp.Pool(3) as pool:
        print(sum(pool.imap(work, slow_inputs(25))))
