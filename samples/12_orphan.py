"""12 · An orphan: a process whose parent died first.

"middle" starts "grandchild" and then exits abruptly (os._exit) without
joining it. The grandchild keeps running; the OS gives it a new parent (init,
or a subreaper). It reports back through a Queue.

In the inspector, look at:
  * the Processes tree: grandchild under middle, flagged as an orphan;
  * the timeline: grandchild still running after middle's band ended;
  * the grandchild's OS parent in its lane's tooltip on the timeline (hover its
    name): "adopted by" a PID that is no longer middle's.
"""
import multiprocessing as mp
import os
import time


def grandchild(q):
    """Outlives its parent."""
    time.sleep(0.8)
    q.put(f"grandchild {os.getpid()}: my parent is now pid {os.getppid()}")


def middle(q):
    """Starts the grandchild and dies without joining it."""
    mp.Process(target=grandchild, args=(q,), name="grandchild").start()
    os._exit(0)


if __name__ == "__main__":
    q = mp.Queue()
    m = mp.Process(target=middle, args=(q,), name="middle")
    m.start()
    m.join()
    print(f"middle ended (exit code {m.exitcode})")
    print(q.get(timeout=10))
    time.sleep(0.3)
