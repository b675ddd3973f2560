"""Hang: put() on a full Queue(maxsize=2) before the consumer is started.

argv[1]: seconds the put() waits before giving up (default 30).
"""
import multiprocessing as mp
import queue
import sys


def consume(items):
    while items.get() is not None:
        pass


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    items = mp.Queue(maxsize=2)
    consumer = mp.Process(target=consume, args=(items,), name="consumer")
    try:
        for i in range(3):
            items.put(i, timeout=patience)  # the third put blocks: nobody takes items out yet
    except queue.Full:
        print("gave up")
    consumer.start()
    items.put(None)
    consumer.join()
