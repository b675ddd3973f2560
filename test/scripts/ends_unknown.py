"""A child that leaves through the C library's exit(5) (argv[1] = start method): Python's own
shutdown never runs in it, so it says nothing of how it ended and no signal ended it. Its end is
`unknown`, with its exit code."""
import ctypes
import multiprocessing as mp
import sys


def leave_from_c():
    sys.stdout.flush()
    ctypes.CDLL(None).exit(5)


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    p = ctx.Process(target=leave_from_c, name="cexit")
    p.start()
    p.join()
    print("cexit", p.exitcode)
