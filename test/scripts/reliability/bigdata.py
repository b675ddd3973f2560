"""A 50 MB message through a Queue and a Pipe (pickled: `send_bytes` payloads
are the user's raw bytes and not counted, docs/runtime-protocol.md), then an
object that cannot be pickled put on a Queue (the feeder thread prints the
traceback, as plainly) and sent through a Pipe (the caller gets the error).
argv[1] = start method."""
import multiprocessing as mp
import sys
import threading

BIG = 50 * 1024 * 1024


def echo(conn):
    data = conn.recv()
    conn.send(data[:10])
    conn.close()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    q.put(b"x" * BIG)
    got = q.get(timeout=120)
    print("queue", len(got), flush=True)
    a, b = ctx.Pipe()
    p = ctx.Process(target=echo, args=(b,), name="echo")
    p.start()
    a.send(b"y" * BIG)
    print("pipe", a.recv(), flush=True)
    p.join()
    lock = threading.Lock()
    q.put(lock)  # the feeder thread fails to pickle it and prints the error to stderr
    q.put("after")
    print("queue after unpicklable:", q.get(timeout=60), flush=True)
    try:
        a.send(lock)
    except Exception as e:
        print("pipe send:", type(e).__name__, e, flush=True)
    q.close()
    q.join_thread()
