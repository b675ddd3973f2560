"""Deadlock: two processes each wait to get from the other first.

argv[1]: seconds each get() waits before giving up (default: forever).
"""
import multiprocessing as mp
import queue
import sys


def side(inbox, outbox, patience):
    try:
        msg = inbox.get(timeout=patience)  # each waits for the other to speak first
    except queue.Empty:
        return
    outbox.put(msg)


if __name__ == "__main__":
    patience = float(sys.argv[1]) if len(sys.argv) > 1 else None
    a_to_b = mp.Queue()
    b_to_a = mp.Queue()
    a = mp.Process(target=side, args=(b_to_a, a_to_b, patience), name="alice")
    b = mp.Process(target=side, args=(a_to_b, b_to_a, patience), name="bob")
    a.start()
    b.start()
    a.join()
    b.join()
    print("gave up", a.exitcode, b.exitcode)
