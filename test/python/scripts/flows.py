"""Every kind of channel with exact, known counts. argv[1] = start method.
Queue: 2 producers x 50 -> main. SimpleQueue: child -> main 7. JoinableQueue:
main -> child 5. Duplex Pipe: 10 pings main -> child, 10 pongs back. Simplex
Pipe: child -> main 4. Pool.map: 20 items, chunksize 5, 2 workers.
Executor: 8 submits. Manager: dict set x5, list append x3."""
import concurrent.futures as cf
import multiprocessing as mp
import sys


def produce(q, n):
    for i in range(n):
        q.put(i)


def simple(sq):
    for i in range(7):
        sq.put(("x", i))


def joinable(jq):
    for _ in range(5):
        jq.get()
        jq.task_done()


def ponger(conn):
    for _ in range(10):
        conn.send(conn.recv() + 1)


def simplex(w):
    for i in range(4):
        w.send(i)
    w.close()


def square(x):
    return x * x


if __name__ == "__main__":
    method = sys.argv[1]
    ctx = mp.get_context(method)

    q = ctx.Queue()
    producers = [ctx.Process(target=produce, args=(q, 50), name=f"producer-{i}") for i in range(2)]
    for p in producers:
        p.start()
    total = sum(q.get() for _ in range(100))
    for p in producers:
        p.join()

    sq = ctx.SimpleQueue()
    s = ctx.Process(target=simple, args=(sq,), name="simple")
    s.start()
    got = [sq.get() for _ in range(7)]
    s.join()

    jq = ctx.JoinableQueue()
    j = ctx.Process(target=joinable, args=(jq,), name="joinable")
    j.start()
    for i in range(5):
        jq.put(i)
    jq.join()
    j.join()

    here, there = ctx.Pipe()
    pp = ctx.Process(target=ponger, args=(there,), name="ponger")
    pp.start()
    v = 0
    for _ in range(10):
        here.send(v)
        v = here.recv()
    pp.join()

    r, w = ctx.Pipe(duplex=False)
    sp = ctx.Process(target=simplex, args=(w,), name="simplex")
    sp.start()
    w.close()
    got_simplex = [r.recv() for _ in range(4)]
    sp.join()

    with ctx.Pool(2) as pool:
        squares = pool.map(square, range(20), chunksize=5)

    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
        futures = [ex.submit(square, i) for i in range(8)]
        executor_results = [f.result() for f in futures]

    with ctx.Manager() as manager:
        d = manager.dict()
        lst = manager.list()
        for i in range(5):
            d[i] = i
        for i in range(3):
            lst.append(i)
        managed = (len(d), len(lst))

    print(total, len(got), v, got_simplex, sum(squares), sum(executor_results), managed)
