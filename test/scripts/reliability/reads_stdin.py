"""Reads all of stdin in the main process and hands it to a child, which
prints it upper-cased with its length."""
import multiprocessing as mp
import sys


def shout(text, q):
    q.put("%d %s" % (len(text), text.upper()))


if __name__ == "__main__":
    data = sys.stdin.read()
    q = mp.Queue()
    p = mp.Process(target=shout, args=(data, q))
    p.start()
    print(q.get(timeout=60))
    p.join()
