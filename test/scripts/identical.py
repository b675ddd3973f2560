"""Output, warnings, a child's traceback and the exit code must be
byte-identical with and without Forkscope. argv[1] = start method."""
import multiprocessing as mp
import sys
import warnings


def child(i):
    print(f"child {i} says hello", flush=True)
    if i == 1:
        raise RuntimeError(f"child {i} failed on purpose")


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    print("argv:", sys.argv[1:], "main:", __name__, "file:", __file__.rsplit("/", 1)[-1], "path0:", sys.path[0] != "", flush=True)
    warnings.warn("a user warning")
    for i in range(3):
        p = ctx.Process(target=child, args=(i,))
        p.start()
        p.join()
        print(f"child {i} exit {p.exitcode}", flush=True)
    with ctx.Pool(2) as pool:
        print(pool.map(abs, [-3, -2, -1]), flush=True)
    sys.stderr.write("to stderr\n")
    raise SystemExit(3)
