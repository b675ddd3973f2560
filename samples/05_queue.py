"""05 · Queue: many producers and consumers, one channel.

A Queue is safe to share between processes: any process can put, any can
get; each item is received by exactly one getter. A sentinel (None) per
consumer tells the consumers to stop.

In the inspector, look at:
  * the Flows tab: messages from the producer to each consumer, and from the
    consumers back to the main process on the results queue;
  * the timeline: consumers waiting on Queue.get(tasks) when the queue is empty
    (the producer is slower than the three consumers together);
  * how the 20 tasks were spread over the 3 consumers: the flows per consumer
    are the counts the sample prints at the end (whoever is free first takes
    the next one, so they change from run to run).
"""
import multiprocessing as mp
import random
import time


def consume(tasks, results):
    """Takes tasks until a None arrives; puts each answer on `results`."""
    while True:
        n = tasks.get()
        if n is None:
            break
        time.sleep(random.uniform(0.01, 0.04))  # "work"
        results.put((mp.current_process().name, n, n * n))


def produce(tasks, count, consumers):
    """Puts `count` tasks, then one sentinel per consumer."""
    for n in range(count):
        tasks.put(n)
        time.sleep(0.03)  # a task every 30 ms: three consumers are faster, so they wait
    for _ in range(consumers):
        tasks.put(None)


if __name__ == "__main__":
    tasks, results = mp.Queue(), mp.Queue()
    consumers = [mp.Process(target=consume, args=(tasks, results), name=f"consumer-{i + 1}") for i in range(3)]
    producer = mp.Process(target=produce, args=(tasks, 20, len(consumers)), name="producer")
    for p in [producer, *consumers]:
        p.start()
    got = [results.get() for _ in range(20)]  # drain before joining (see 13_deadlock.py)
    for p in [producer, *consumers]:
        p.join()
    per_consumer = {}
    for name, _, _ in got:
        per_consumer[name] = per_consumer.get(name, 0) + 1
    print("tasks per consumer:", dict(sorted(per_consumer.items())))
