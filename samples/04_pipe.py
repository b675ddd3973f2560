"""04 · Pipe: two connected ends, one per process.

`Pipe()` returns two Connection objects. What one end `send()`s (pickled), the
other end `recv()`s, in order. Here a parent and a child play ping-pong.

In the inspector, look at:
  * the timeline: arrows going back and forth between parent and child — one
    per message — and each process waiting on Pipe.recv while the other works
    (sleeps): their recv waits take turns, they hardly ever wait at once;
  * the Flows tab: the pipe "parent_end/child_end" with 6 messages from the
    parent (5 pings and the None that stops the child) and 5 pongs back, and
    their sizes;
  * the latency of each arrow (hover it).
"""
import multiprocessing as mp
import time


def pong(conn):
    """Answers every ping until it gets None."""
    while True:
        msg = conn.recv()
        if msg is None:
            break
        time.sleep(0.05)  # "work"
        conn.send(("pong", msg[1]))
    conn.close()


if __name__ == "__main__":
    parent_end, child_end = mp.Pipe()
    child = mp.Process(target=pong, args=(child_end,), name="ponger")
    child.start()
    for i in range(5):
        parent_end.send(("ping", i))
        print("parent got", parent_end.recv())
        time.sleep(0.05)
    parent_end.send(None)
    child.join()
