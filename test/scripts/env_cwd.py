"""Prints where it runs and what it was given (the warm supervisor's run message sets both), from
the main process and from a child."""
import multiprocessing as mp
import os


def child(q):
    q.put(os.environ.get("FK_PROBE"))


if __name__ == "__main__":
    print("cwd", os.getcwd())
    print("probe", os.environ.get("FK_PROBE"), "forked-only", os.environ.get("FK_FORKED_ONLY"))
    q = mp.Queue()
    p = mp.Process(target=child, args=(q,))
    p.start()
    print("child probe", q.get())
    p.join()
