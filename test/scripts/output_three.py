"""Three processes (main and two children) print interleaved lines to stdout
and stderr; child 'b' raises at the end (its traceback goes to stderr)."""
import multiprocessing as mp
import os
import sys
import time


def talk(name, n, fail):
    for i in range(n):
        print("%s line %d" % (name, i))
        if i % 2:
            sys.stderr.write("%s err %d\n" % (name, i))
        time.sleep(0.002)
    sys.stdout.flush()
    if fail:
        raise ValueError("child %s failed on purpose" % name)


if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else "fork"
    ctx = mp.get_context(method)
    kids = [ctx.Process(target=talk, args=(name, 6, name == "b"), name=name) for name in ("a", "b")]
    seq = "seq" in sys.argv[2:]  # one process at a time: the terminal's bytes are the same in every run
    for k in kids:
        k.start()
        if seq:
            k.join()
    talk("main", 6, False)
    for k in kids:
        k.join()
    print("big", "x" * 50, sep=":", end="!\n")
    if len(sys.argv) > 2 and "cap" in sys.argv[2:]:
        for i in range(2000):
            print("c" * 999)
