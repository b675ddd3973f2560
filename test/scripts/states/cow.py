"""Copy-on-write under fork: the parent fills ~40 MiB; one child reads every page, one writes every
page. Both children's RSS count the 40 MiB; only the writer's private memory does."""
import multiprocessing as mp
import time

N = 40 << 20
PAGE = 4096
data = None


def reader():
    s = 0
    for i in range(0, N, PAGE):
        s += data[i]
    time.sleep(1.0)  # stay to be sampled
    return s


def writer():
    for i in range(0, N, PAGE):
        data[i] = 2
    time.sleep(1.0)


if __name__ == "__main__":
    mp.set_start_method("fork")
    data = bytearray(N)
    for i in range(0, N, PAGE):
        data[i] = 1
    r = mp.Process(target=reader, name="reader")
    w = mp.Process(target=writer, name="writer")
    r.start()
    w.start()
    r.join()
    w.join()
    print("ok", r.exitcode, w.exitcode)
