"""01 · A first Process and its PIDs.

A Process runs a function in a *separate* Python interpreter with its own PID.
`start()` creates it; `join()` waits for it to end and collects its exit code.

In the inspector, look at:
  * the Processes tree: the main process and its child "greeter", each with
    its own PID; the child's parent PID is the main process's PID;
  * the timeline: the main process waits on join(greeter) while the child runs;
  * the exit codes: 0 for both.
"""
import multiprocessing as mp
import os
import time


def greet(who):
    """Runs in the child process."""
    print(f"child:  hello {who}, I am pid {os.getpid()}, my parent is {os.getppid()}")
    time.sleep(0.3)  # long enough to see on the timeline


if __name__ == "__main__":  # required: under "spawn" the child re-imports this file
    print(f"parent: I am pid {os.getpid()}")
    p = mp.Process(target=greet, args=("world",), name="greeter")
    p.start()
    print(f"parent: started {p.name} with pid {p.pid}")
    p.join()
    print(f"parent: {p.name} ended with exit code {p.exitcode}")
