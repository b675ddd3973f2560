"""Hang: JoinableQueue.join() waits for task_done() calls the worker never makes.

argv[1]: seconds before a timer in the main process makes the missing task_done() calls (default 30).
"""
import multiprocessing as mp
import sys
import threading


def worker(jobs):
    while True:
        item = jobs.get()
        if item is None:
            break
        # forgot jobs.task_done()


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    jobs = mp.JoinableQueue()
    w = mp.Process(target=worker, args=(jobs,), name="worker")
    w.start()
    for i in range(3):
        jobs.put(i)
    rescue = threading.Timer(patience, lambda: [jobs.task_done() for _ in range(3)])
    rescue.start()
    jobs.join()  # never returns without the rescue
    jobs.put(None)
    w.join()
    print("joined")
