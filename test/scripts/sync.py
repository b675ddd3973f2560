"""Locks and waits. argv[1] = start method. Two workers meet at a Barrier
(so a slow start of one cannot hide the contention), then take one Lock 10
times each holding it 20 ms (contention); a shared Value counts to 20 under
its own lock; an Array of 5 doubles; an Event set by a child after 0.3 s; a
Barrier of 2; a Semaphore. The main process waits in join (a child that
sleeps 0.4 s), in Queue.get (a child puts after 0.3 s) and in time.sleep."""
import multiprocessing as mp
import sys
import time


def worker(go, lock, counter):
    go.wait()
    for _ in range(10):
        with lock:
            time.sleep(0.02)
        with counter.get_lock():
            counter.value += 1


def setter(ev):
    time.sleep(0.3)
    ev.set()


def party(barrier, sem):
    barrier.wait()
    with sem:
        pass


def sleeper():
    time.sleep(0.4)


def late(q):
    time.sleep(0.3)
    q.put("late")


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    lock = ctx.Lock()
    counter = ctx.Value("i", 0)
    arr = ctx.Array("d", 5)
    go = ctx.Barrier(2)
    ws = [ctx.Process(target=worker, args=(go, lock, counter), name=f"w{i}") for i in range(2)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    ev = ctx.Event()
    s = ctx.Process(target=setter, args=(ev,), name="setter")
    s.start()
    ev.wait()
    s.join()
    barrier = ctx.Barrier(2)
    sem = ctx.Semaphore(1)
    p = ctx.Process(target=party, args=(barrier, sem), name="party")
    p.start()
    barrier.wait()
    p.join()
    sl = ctx.Process(target=sleeper, name="sleeper")
    sl.start()
    sl.join()
    q = ctx.Queue()
    lt = ctx.Process(target=late, args=(q,), name="late")
    lt.start()
    got = q.get()
    lt.join()
    time.sleep(0.25)
    print(counter.value, len(arr), got)
