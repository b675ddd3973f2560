"""A child stuck at exit: its Queue's feeder cannot flush a message bigger than the pipe while the
parent waits in join() (13_deadlock's mistake); after 2 s the parent reads, then joins."""
import multiprocessing as mp
import sys


def write_big(q):
    q.put(b"x" * (1 << 20))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        mp.set_start_method(sys.argv[1])
    q = mp.Queue()
    p = mp.Process(target=write_big, args=(q,), name="writer")
    p.start()
    p.join(timeout=2.0)
    data = q.get(timeout=10)
    p.join()
    print(len(data), p.exitcode)
