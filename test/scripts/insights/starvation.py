"""Starvation: three workers wait on a Queue that one slow producer (the main process) fills."""
import multiprocessing as mp
import time


def worker(tasks, done):
    n = 0
    while True:
        item = tasks.get()
        if item is None:
            break
        n += item % 7  # almost no work per item
    done.put(n)


def produce_one(i):
    t = time.process_time()
    x = 0
    while time.process_time() - t < 0.08:  # 80 ms of CPU to prepare one item
        x += 1
    return x + i


if __name__ == "__main__":
    tasks = mp.Queue()
    done = mp.Queue()
    workers = [mp.Process(target=worker, args=(tasks, done), name=f"worker-{i}") for i in range(3)]
    for w in workers:
        w.start()
    for i in range(25):
        tasks.put(produce_one(i))
    for w in workers:
        tasks.put(None)
    total = sum(done.get() for w in workers)
    for w in workers:
        w.join()
    print(total >= 0)
