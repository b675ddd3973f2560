"""Lifecycles under one start method (argv[1]): clean exit, an exception,
sys.exit(3), kill(), terminate(), a child that exits 1 s before its join (a
zombie for 1 s), and a child that starts a grandchild."""
import multiprocessing as mp
import multiprocessing.connection
import sys
import time


def ok():
    pass


def boom():
    raise ValueError("bad input")


def three():
    sys.exit(3)


def forever():
    time.sleep(60)


def quick():
    pass


def parent_of_one():
    g = mp.Process(target=ok, name="grandchild")
    g.start()
    g.join()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    procs = {
        "ok": ctx.Process(target=ok, name="ok"),
        "boom": ctx.Process(target=boom, name="boom"),
        "three": ctx.Process(target=three, name="three"),
        "killed": ctx.Process(target=forever, name="killed"),
        "termed": ctx.Process(target=forever, name="termed"),
        "zombie": ctx.Process(target=quick, name="zombie"),
        "nested": ctx.Process(target=parent_of_one, name="nested"),
    }
    # The zombie child starts last: each start() reaps the children that have already ended
    # (multiprocessing's _cleanup), and a start after it could reap it at once.
    for name, p in procs.items():
        if name != "zombie":
            p.start()
    procs["zombie"].start()
    # Wait until the zombie child has exited (its sentinel closes; nothing reaps it), then 1 s more before joining.
    mp.connection.wait([procs["zombie"].sentinel], timeout=30)
    time.sleep(0.3)
    procs["killed"].kill()
    procs["termed"].terminate()
    time.sleep(0.7)
    for name, p in procs.items():
        p.join()
        print(name, p.exitcode)
