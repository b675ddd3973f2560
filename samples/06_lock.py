"""06 · A Lock around shared output.

Four workers each write five lines, character by character, to the same
stdout. Holding a Lock while writing a line keeps each line whole; without it,
lines from different processes could interleave mid-line.

In the inspector, look at:
  * the timeline: workers waiting on Lock.acquire(print_lock) while another
    holds it — that waiting is the price of the lock;
  * the Locks panel: acquisitions, how many were contended and for how long.
"""
import multiprocessing as mp
import sys
import time


def write_lines(lock, wid):
    """Writes five whole lines, one at a time, holding the lock for each."""
    for i in range(5):
        with lock:
            for ch in f"worker {wid} line {i}\n":
                sys.stdout.write(ch)
                sys.stdout.flush()
                time.sleep(0.001)
        time.sleep(0.01)


if __name__ == "__main__":
    print_lock = mp.Lock()
    workers = [mp.Process(target=write_lines, args=(print_lock, w), name=f"writer-{w}") for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
