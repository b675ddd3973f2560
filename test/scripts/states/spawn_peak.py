"""A spawn child of a parent holding ~80 MiB: the child's own peak is small (no peak across exec)."""
import multiprocessing as mp
import time

N = 80 << 20


def child():
    time.sleep(0.5)


if __name__ == "__main__":
    data = bytearray(N)
    for i in range(0, N, 4096):
        data[i] = 1
    p = mp.get_context("spawn").Process(target=child, name="spawned")
    p.start()
    p.join()
    print("ok", p.exitcode, len(data))
