"""One child per way a process can end (argv[1] = start method): it returns, raises, calls
sys.exit(0) and sys.exit(3), os._exit(4), is stopped with terminate(), kill() and (Python 3.14+)
interrupt(), is killed by SIGUSR1 sent by another process, Pool workers stopped by leaving
`with Pool(...)`, executor workers stopped by the executor's shutdown, and a daemon terminated by
multiprocessing when the main process exits."""
import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import sys
import time


def returns():
    pass


def raises():
    raise ValueError("boom")


def exits(code):
    sys.exit(code)


def os_exits():
    sys.stdout.flush()
    os._exit(4)


def sleeps(ready):
    ready.set()
    time.sleep(30)


def shoot(pid):
    os.kill(pid, signal.SIGUSR1)


def square(x):
    return x * x


def stopped(ctx, name, how):
    ready = ctx.Event()
    p = ctx.Process(target=sleeps, args=(ready,), name=name)
    p.start()
    ready.wait(20)
    time.sleep(0.1)  # in its sleep, past its first events
    getattr(p, how)()
    p.join()
    return p.exitcode


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    codes = {}
    for name, target, args in (("returns", returns, ()), ("raises", raises, ()), ("exits0", exits, (0,)), ("exits3", exits, (3,)), ("osexit4", os_exits, ())):
        p = ctx.Process(target=target, args=args, name=name)
        p.start()
        p.join()
        codes[name] = p.exitcode
    codes["terminated"] = stopped(ctx, "terminated", "terminate")
    codes["killed"] = stopped(ctx, "killed", "kill")
    if hasattr(ctx.Process, "interrupt"):
        codes["interrupted"] = stopped(ctx, "interrupted", "interrupt")
    ready = ctx.Event()
    target = ctx.Process(target=sleeps, args=(ready,), name="signalled")
    target.start()
    ready.wait(20)
    time.sleep(0.1)
    shooter = ctx.Process(target=shoot, args=(target.pid,), name="shooter")
    shooter.start()
    shooter.join()
    target.join()
    codes["signalled"] = target.exitcode
    with ctx.Pool(2) as pool:
        total = sum(pool.map(square, range(20)))
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        total += sum(ex.map(square, range(20)))
    print(sorted(codes.items()), total)
    # A daemon still running when the main process ends: multiprocessing terminates it at exit.
    ready = ctx.Event()
    ctx.Process(target=sleeps, args=(ready,), name="daemon", daemon=True).start()
    ready.wait(20)
    time.sleep(0.1)
