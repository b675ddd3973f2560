"""The inner interpreter of children.py: a Pool of 2 with known tasks, or a Python child of its own."""

import multiprocessing
import os
import subprocess
import sys


def square(x):
    return x * x


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "pool"
    here = os.path.dirname(os.path.abspath(__file__))
    seen = [p for p in sys.path if p.endswith("forkscope_child")]
    print("inner", mode, os.environ.get("PYTHONPATH"), "FORKSCOPE_CHILD" in os.environ, seen, sys.argv[0].endswith(".py"), flush=True)
    if mode == "pool":
        pool = multiprocessing.get_context("fork").Pool(2)
        print("squares", sum(pool.map(square, range(12), chunksize=3)), flush=True)
        pool.close()
        pool.join()
        sys.exit(7)
    elif mode == "child":
        code = subprocess.call([sys.executable, os.path.join(here, "children_inner.py"), "pool"])
        print("inner child exit", code, flush=True)
        sys.exit(4)
