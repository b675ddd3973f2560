"""Overhead on a Queue: two producers put 20,000 small items each, one message per item."""
import multiprocessing as mp


def produce(q, n):
    for i in range(n):
        q.put(i)


if __name__ == "__main__":
    items = mp.Queue()
    producers = [mp.Process(target=produce, args=(items, 20_000), name=f"producer-{i}") for i in range(2)]
    for p in producers:
        p.start()
    total = sum(items.get() for _ in range(40_000))
    for p in producers:
        p.join()
    print(total)
