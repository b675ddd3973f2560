"""Writes bytes that are not UTF-8 (and a NUL, a lone CR) to stdout and
stderr, from the main process and from a child."""
import multiprocessing as mp
import sys

BAD = b"\xff\xfe latin-1: caf\xe9 \x00 nul \r cr \xc3\x28 bad utf-8\n"


def child():
    sys.stdout.buffer.write(b"child " + BAD)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(b"child err " + BAD)
    sys.stderr.buffer.flush()


if __name__ == "__main__":
    sys.stdout.buffer.write(b"main " + BAD)
    sys.stdout.buffer.flush()
    p = mp.Process(target=child)
    p.start()
    p.join()
    sys.stderr.buffer.write(b"main err " + BAD)
    sys.stderr.buffer.flush()
