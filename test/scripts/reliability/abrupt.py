"""Children that end abruptly after sending: one calls os._exit(5), one is
killed by SIGKILL (by itself), one by SIGTERM from its parent. Each sends 10
Queue messages first; the parent reads all 30. argv[1] = start method."""
import multiprocessing as mp
import os
import signal
import sys
import time


def send_then(q, how):
    for i in range(10):
        q.put((how, i))
    time.sleep(0.3)  # the messages leave through the feeder thread; the events through the flush timer
    if how == "exit":
        os._exit(5)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(600)  # "term": the parent terminates it


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    kids = {how: ctx.Process(target=send_then, args=(q, how), name=how) for how in ("exit", "kill", "term")}
    for k in kids.values():
        k.start()
    got = [q.get(timeout=60) for _ in range(30)]
    kids["exit"].join()
    kids["kill"].join()
    kids["term"].terminate()
    kids["term"].join()
    print(len(got), sorted({g[0] for g in got}), [kids[h].exitcode for h in ("exit", "kill", "term")], flush=True)
