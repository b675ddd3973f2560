"""13 · A deadlock: joining a child before draining its queue.

A child that has put data on a Queue does not exit until that data has been
written into the pipe under the queue. If the data is bigger than the pipe's
buffer (~64 KiB), the write waits for a reader — but the parent is waiting in
join() for the child to exit, and reads only after. Each waits for the other:
a deadlock.

To never hang, this sample gives up on join() after 5 seconds, explains, then
does the right thing: drain the queue, then join. Forkscope's deadlock
detector reports the hang after 3 seconds (the forkscope.hangSeconds setting).

In the inspector, look at:
  * the warning: which process waits for which, on what queue, at which line
    (the `p.join(timeout=5.0)` below: the join that waits);
  * the timeline: the parent waiting on join(writer) for 5 s while the child
    is stuck (not running, not exited) — the deadlock;
  * then the arrow of the one big message and both processes ending.
The fix in real code: get() everything you expect before join().
"""
import multiprocessing as mp


def write_big(q):
    """Puts one message bigger than a pipe buffer."""
    q.put(b"x" * (1 << 20))  # 1 MiB


if __name__ == "__main__":
    q = mp.Queue()
    p = mp.Process(target=write_big, args=(q,), name="writer")
    p.start()
    p.join(timeout=5.0)  # the mistake: join before get
    if p.is_alive():
        print("deadlock: the writer cannot exit until its data is read, and we were waiting for it to exit.")
        print("breaking it: reading the queue first, then joining.")
    data = q.get(timeout=10)
    p.join()
    print(f"got {len(data)} bytes; writer exit code {p.exitcode}")
