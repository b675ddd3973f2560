"""10 · The three start methods side by side.

  * fork: the child is a copy of the parent (fast; Unix only; unsafe with threads).
  * spawn: a fresh interpreter that imports your module (slower; works everywhere).
  * forkserver: a server process is started once; it forks each child (Unix only).

Each child reports how long it took from start() to running its first line.

In the inspector, look at:
  * the Processes tree: each child's start method, and the extra "forkserver"
    process (plus the resource tracker) that forkserver and spawn bring along;
  * the timeline: the "created" band before each child runs — shortest for
    fork (a copy of a running process), longer for spawn and forkserver (a
    fresh interpreter imports the module; forkserver's first child also waits
    for the server to start: the "forkserver" process appears during that
    child's "created" band, and the child runs only after it);
  * the output: each child's own line, with the delay it measured.
"""
import multiprocessing as mp
import time


def hello(method, started):
    """Reports the start-up delay."""
    print(f"{method:<10} running after {1000 * (time.time() - started):5.0f} ms")


if __name__ == "__main__":
    for method in ["fork", "spawn", "forkserver"]:
        if method not in mp.get_all_start_methods():
            print(f"{method:<10} not available on this platform")
            continue
        ctx = mp.get_context(method)
        p = ctx.Process(target=hello, args=(method, time.time()), name=f"via-{method}")
        p.start()
        p.join()
