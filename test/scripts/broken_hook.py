"""Breaks two of the runtime's hooks on purpose (when it is loaded): the script
must run exactly as without it, and the runtime says so once per hook."""
import multiprocessing as mp
import sys


def boom(*args, **kwargs):
    raise RuntimeError("hook bug")


def child(conn, q):
    conn.send("hi")
    q.put("from child")


if __name__ == "__main__":
    rt = sys.modules.get("forkscope_runtime.channels")
    import multiprocessing.queues  # noqa: F401 - patched on import

    rt = sys.modules.get("forkscope_runtime.pipes")
    if rt is not None:
        rt.count_rx = boom  # Connection.recv's counting
        rt.declare = boom  # the chan events of Pipe() and Queue()
        sys.modules["forkscope_runtime.queues"].declare = boom
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(b, q))
    p.start()
    print(a.recv(), q.get())
    p.join()
    print("exit", p.exitcode)
