"""The main thread computes for 0.8 s, calling one function again and again (each tick of the flusher
can land on the same instruction of a frame at the same address), then sleeps 0.6 s inside one C call
outside any recorded wait (select). Only the sleep is a blocked site."""
import select
import time


def work(n):
    """A pure-Python loop over small ints."""
    total = i = 0
    while i < n:
        total += i & 7
        i += 1
    return total


if __name__ == "__main__":
    t = time.time()
    while time.time() - t < 0.8:
        work(200_000)
    select.select([], [], [], 0.6)
    print("done")
