"""Two processes take one Lock 20 times each and hold it 10 ms: contention.
They start taking it together (a Barrier): a spawn child starts a whole new
interpreter, and on a busy machine one could otherwise be done before the
other has begun. argv[1] = start method."""
import multiprocessing as mp
import sys
import time


def worker(lock, together):
    together.wait()
    for _ in range(20):
        with lock:
            time.sleep(0.01)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    lock = ctx.Lock()
    together = ctx.Barrier(2)
    ps = [ctx.Process(target=worker, args=(lock, together), name=f"w{i}") for i in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("done")
