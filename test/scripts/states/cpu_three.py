"""Three CPU-bound children doing fixed work (not a clock deadline), started together, joined."""
import multiprocessing as mp
import sys


def burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
    ps = [mp.Process(target=burn, args=(n,), name="burn-%d" % i) for i in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("done", [p.exitcode for p in ps])
