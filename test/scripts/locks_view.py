"""Like sample 06: four workers write five whole lines each under one Lock (each
hold lasts a few ms, so they contend), plus a Value and an Array, a RawArray and
an RLock taken recursively. The workers start writing together, once all four
run (each sets its flag in the RawArray), so they contend however late the
machine starts one. argv[1] = start method (default fork); argv[2], if given, is
the workers' name prefix (default "writer-")."""
import multiprocessing as mp
import sys
import time


def write_lines(lock, rlock, wid, ready):
    ready[wid] = 1
    deadline = time.monotonic() + 10
    while sum(ready[:4]) < 4 and time.monotonic() < deadline:
        time.sleep(0.002)
    for i in range(5):
        with lock:
            for ch in f"worker {wid} line {i}\n":
                sys.stdout.write(ch)
                sys.stdout.flush()
            time.sleep(0.01)
        time.sleep(0.002)
    with rlock:
        with rlock:
            time.sleep(0.001)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    print_lock = ctx.Lock()
    nested = ctx.RLock()
    counter = ctx.Value("i", 7)
    samples = ctx.Array("d", 6)
    raw = ctx.RawArray("b", 16)
    prefix = sys.argv[2] if len(sys.argv) > 2 else "writer-"
    workers = [ctx.Process(target=write_lines, args=(print_lock, nested, w, raw), name=f"{prefix}{w}") for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print("done", counter.value, len(samples), len(raw))
