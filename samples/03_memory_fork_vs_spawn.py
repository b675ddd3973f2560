"""03 · Separate memory, and copy-on-write under fork vs spawn.

Each process has its own memory. A child that changes a global changes *its
copy*; the parent never sees it. How the child's copy starts depends on the
start method:
  * fork (Linux default, available on macOS): the child starts as a copy of the
    parent at the moment of start(), so it sees what the parent did before
    (here: BIG filled in, CONFIG changed). Pages are shared until someone writes
    to them — copy-on-write — so the child's memory grows only when it writes.
  * spawn (macOS and Windows default): a fresh interpreter imports this file
    again; it sees only what module-level code sets up (CONFIG is "default",
    BIG is empty).

In the inspector, look at:
  * the output of each child: what CONFIG and len(BIG) it saw;
  * the memory chart: the fork child that *writes* to BIG grows by ~40 MB
    (its copies of the pages it touched); the one that only reads stays small;
  * the Processes tree: each child's start method.
"""
import multiprocessing as mp
import os
import sys
import time

CONFIG = "default"
BIG = bytearray()


def look(label, write):
    """Reports what this process sees; optionally writes to every page of BIG."""
    if write and BIG:
        for i in range(0, len(BIG), 4096):
            BIG[i] = 1  # each write copies one shared page into this process
    print(f"{label:<14} pid {os.getpid()}: CONFIG={CONFIG!r}, len(BIG)={len(BIG) // 2**20} MiB")
    time.sleep(0.5)  # stay alive long enough for a memory sample


if __name__ == "__main__":
    CONFIG = "changed by the parent"
    BIG = bytearray(40 * 2**20)  # 40 MiB, set up after import: spawn children will not see it
    methods = ["spawn"] + (["fork"] if sys.platform != "win32" else [])
    children = []
    for method in methods:
        ctx = mp.get_context(method)
        children.append(ctx.Process(target=look, args=(f"{method} (read)", False), name=f"{method}-reader"))
        if method == "fork":
            children.append(ctx.Process(target=look, args=("fork (write)", True), name="fork-writer"))
    for p in children:
        p.start()
    for p in children:
        p.join()
    look("parent", False)
