"""Never ends by itself, and its child ignores SIGTERM (only SIGKILL ends
it); a Manager server and, under forkserver/spawn, the forkserver and the
resource tracker run too. Prints "ready" once all is up. argv[1] = start method."""
import multiprocessing as mp
import signal
import sys
import time


def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    p = ctx.Process(target=stubborn, name="stubborn")
    p.start()
    manager = ctx.Manager()
    d = manager.dict()
    d["x"] = 1
    lock = ctx.Lock()  # a semaphore: the resource tracker starts under spawn/forkserver
    time.sleep(1.0)
    print("ready", flush=True)
    time.sleep(600)
