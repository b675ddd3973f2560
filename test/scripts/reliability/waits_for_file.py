"""Starts a child, prints "ready", and ends (printing "done") once the file
named by argv[1] exists (at most 60 s)."""
import multiprocessing as mp
import os
import sys
import time


def idle(path):
    while not os.path.exists(path):
        time.sleep(0.05)


if __name__ == "__main__":
    p = mp.Process(target=idle, args=(sys.argv[1],), name="idle")
    p.start()
    print("ready", flush=True)
    deadline = time.time() + 60
    while not os.path.exists(sys.argv[1]) and time.time() < deadline:
        time.sleep(0.05)
    p.join()
    print("done", p.exitcode, flush=True)
