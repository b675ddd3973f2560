"""How the script's multiprocessing objects store their attributes, in the main process and in a
child that received them: "inline" or "dict". Since 3.11 an instance keeps its attributes inline
until something reads its `__dict__`; from then on they live in a dict for the object's whole life,
and every attribute access the standard library makes on it is slower (a Queue.get 0.14 µs on 3.11,
0.21 µs on 3.12). Under Forkscope the answer must be the plain run's: the runtime sets and reads
its own attributes as attributes. argv[1]: the start method. Prints one JSON line per process."""
import concurrent.futures
import gc
import json
import multiprocessing as mp
import sys


def layout(obj, attr):
    """'dict' when the object's attributes live in a dict (one holding `attr`, an attribute the
    standard library sets on it), else 'inline'. Reads no `__dict__` (that would make one)."""
    return "dict" if any(type(r) is dict and attr in r for r in gc.get_referents(obj)) else "inline"


def report(who, proc, q, sq, jq, lock, rlock, sem, a, b):
    objs = {
        "process": (proc, "_config"),
        "queue": (q, "_reader"),
        "queue.reader": (q._reader, "_handle"),
        "queue.writer": (q._writer, "_handle"),
        "queue.rlock": (q._rlock, "_semlock"),
        "queue.sem": (q._sem, "_semlock"),
        "simplequeue": (sq, "_reader"),
        "simplequeue.reader": (sq._reader, "_handle"),
        "simplequeue.writer": (sq._writer, "_handle"),
        "joinablequeue": (jq, "_reader"),
        "lock": (lock, "_semlock"),
        "rlock": (rlock, "_semlock"),
        "semaphore": (sem, "_semlock"),
        "pipe.a": (a, "_handle"),
        "pipe.b": (b, "_handle"),
    }
    print(json.dumps({"who": who, "layout": {k: layout(o, attr) for k, (o, attr) in objs.items()}}, sort_keys=True), flush=True)


def use(q, sq, jq, lock, rlock, sem, a, b, echo):
    """Every object goes through its usual calls (and so through every hook the runtime puts there)."""
    q.put(1)
    q.get()
    sq.put(2)
    sq.get()
    jq.put(3)
    jq.get()
    jq.task_done()
    with lock:
        pass
    with rlock:
        with rlock:
            pass
    with sem:
        pass
    a.send(4)
    b.recv()
    b.send(5)
    a.recv()
    if echo is not None:
        echo.put("done")


def child(q, sq, jq, lock, rlock, sem, a, b, echo):
    use(q, sq, jq, lock, rlock, sem, a, b, None)
    report("child", mp.current_process(), q, sq, jq, lock, rlock, sem, a, b)
    echo.put("done")


def square(x):
    return x * x


def main():
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    objs = (ctx.Queue(), ctx.SimpleQueue(), ctx.JoinableQueue(), ctx.Lock(), ctx.RLock(), ctx.Semaphore(2), *ctx.Pipe())
    use(*objs, None)
    echo = ctx.Queue()
    p = ctx.Process(target=child, args=(*objs, echo))
    p.start()
    echo.get()
    p.join()
    with ctx.Pool(2) as pool:
        pool.map(square, range(20))
        pool.apply_async(square, (3,)).get()
        pool_layout = {"pool": layout(pool, "_processes"), "pool.inqueue": layout(pool._inqueue, "_reader"), "pool.outqueue": layout(pool._outqueue, "_reader")}
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        list(ex.map(square, range(20)))
        ex.submit(square, 3).result()
        ex_layout = {"executor": layout(ex, "_max_workers"), "executor.call_queue": layout(ex._call_queue, "_reader")}
    report("main", p, *objs)
    print(json.dumps({"who": "pools", "layout": {**pool_layout, **ex_layout}}, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
