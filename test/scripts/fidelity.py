"""Output, warnings, a child's traceback, a traceback from main and the exit
code must be byte-identical with and without Forkscope. argv[1] = start
method, argv[2] = how main ends: "raise", "exit", "ok", "queue-empty"."""
import multiprocessing as mp
import queue
import sys
import time
import warnings


def child(i):
    print(f"child {i} says hello", flush=True)
    if i == 1:
        raise RuntimeError(f"child {i} failed on purpose")
    if i == 2:
        sys.exit("child 2 exits with a message")


def deep(n):
    if n == 0:
        raise KeyError("deep")
    return deep(n - 1)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    print("argv:", sys.argv[1:], "main:", __name__, "file:", __file__, "path0:", sys.path[0], "spec:", __spec__, flush=True)
    print("globals:", sorted(k for k in globals() if k.startswith("__")), flush=True)
    warnings.warn("a user warning")
    for i in range(3):
        p = ctx.Process(target=child, args=(i,))
        p.start()
        p.join()
        print(f"child {i} exit {p.exitcode}", flush=True)
    with ctx.Pool(2) as pool:
        print(pool.map(abs, [-3, -2, -1]), flush=True)
        try:
            pool.apply(deep, (3,))
        except KeyError as e:
            print("pool raised", repr(e), flush=True)
    q = ctx.Queue()
    lock = ctx.Lock()
    with lock:
        pass
    time.sleep(0.01)
    sys.stderr.write("to stderr\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(b"raw \xff\xfe bytes\n")
    sys.stdout.flush()
    how = sys.argv[2] if len(sys.argv) > 2 else "ok"
    if how == "raise":
        try:
            deep(2)
        except KeyError:
            raise ValueError("main failed")
    if how == "queue-empty":
        q.get(timeout=0.05)
    if how == "pool-raise":
        with ctx.Pool(1) as pool:
            pool.apply(deep, (1,))
    if how == "exit":
        raise SystemExit(3)
