"""Two children print a line each; the main process prints bytes that are not UTF-8."""
import multiprocessing as mp
import sys


def child(i):
    print(f"child {i}", flush=True)


if __name__ == "__main__":
    for i in range(2):
        p = mp.Process(target=child, args=(i,))
        p.start()
        p.join()
    sys.stdout.flush()
    sys.stdout.buffer.write(b"raw \xff\xfe bytes\n")
    sys.stderr.write("err line\n")
