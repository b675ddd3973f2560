"""An orphan's adopter: "middle" starts "grandchild" and leaves at once with os._exit; the
grandchild waits until the OS has given it a new parent, stays a moment (so the sampler sees it),
and reports that parent's pid, which the main process prints. argv[1] = start method."""
import multiprocessing as mp
import os
import sys
import time


def grandchild(q, middle_pid):
    deadline = time.time() + 10
    while os.getppid() == middle_pid and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.6)
    q.put(os.getppid())


def middle(q):
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    ctx.Process(target=grandchild, args=(q, os.getpid()), name="grandchild").start()
    os._exit(0)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    q = ctx.Queue()
    m = ctx.Process(target=middle, args=(q,), name="middle")
    m.start()
    m.join()
    print(q.get(timeout=30))
    time.sleep(0.2)
