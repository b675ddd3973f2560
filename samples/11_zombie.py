"""11 · A zombie: a child that ended but was not joined yet.

When a child process exits, the OS keeps its exit status until the parent
collects it (join, or the next start() of another process). Until then the
child is a *zombie*: dead, but still listed. Here the child ends after 0.1 s
and the parent only joins 1.5 s later.

In the inspector, look at:
  * the timeline: the child's zombie band between its end and the join;
  * the Processes view: the child marked zombie while the run is live;
  * the summary: the child's stateSeconds.zombie ≈ 1.4 s (CLI: `forkscope
    summary` prints it on the child's line, to the millisecond, e.g.
    "zombie 1.403 s").
"""
import multiprocessing as mp
import time


def quick():
    """Ends almost at once."""
    time.sleep(0.1)


if __name__ == "__main__":
    p = mp.Process(target=quick, name="quick")
    p.start()
    time.sleep(1.5)  # busy with something else: the ended child waits to be reaped
    p.join()
    print("joined", p.name, "exit code", p.exitcode)
