"""Writes argv[1] MiB (default 100) of varied bytes to stdout, from the main
process and from a child (half each), through sys.stdout.buffer."""
import multiprocessing as mp
import sys


def write(mib, seed):
    out = sys.stdout.buffer
    line = bytes((seed + i) % 251 for i in range(1023)) + b"\n"
    for _ in range(mib * 1024):
        out.write(line)
    out.flush()


if __name__ == "__main__":
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    ctx = mp.get_context(sys.argv[2] if len(sys.argv) > 2 else "fork")
    p = ctx.Process(target=write, args=(mib // 2, 7), name="writer")
    p.start()
    p.join()
    write(mib - mib // 2, 11)
