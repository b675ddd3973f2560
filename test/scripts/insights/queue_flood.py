"""Overhead on a Queue: two producers put 75,000 small items each, one message per item.

Large enough that the ends spend well over the insight's 0.3 s floor even on a
fast machine (40,000 items took 0.28-0.31 s in all, right on it).
"""
import multiprocessing as mp


def produce(q, n):
    for i in range(n):
        q.put(i)


if __name__ == "__main__":
    items = mp.Queue()
    producers = [mp.Process(target=produce, args=(items, 75_000), name=f"producer-{i}") for i in range(2)]
    for p in producers:
        p.start()
    total = sum(items.get() for _ in range(150_000))
    for p in producers:
        p.join()
    print(total)
