"""No warning expected: a two-stage pipeline whose producer is slow on purpose.

The consumer waits in get() for seconds at a time, but the producer is working
(computing, then sleeping) all along: that is not a hang.
"""
import multiprocessing as mp
import time


def produce(q):
    t = time.time()
    n = 0
    while time.time() - t < 1.8:  # computing the first item
        n += 1
    q.put(n)
    time.sleep(1.8)  # waiting for a slow source
    q.put(None)


def consume(q, out):
    got = 0
    while q.get() is not None:
        got += 1
    out.put(got)


if __name__ == "__main__":
    q = mp.Queue()
    out = mp.Queue()
    producer = mp.Process(target=produce, args=(q,), name="producer")
    consumer = mp.Process(target=consume, args=(q, out), name="consumer")
    producer.start()
    consumer.start()
    print(out.get())
    producer.join()
    consumer.join()
