"""Hygiene: terminate() a process that is busy with a Lock and a Queue."""
import multiprocessing as mp
import time


def busy(lock, q):
    while True:
        with lock:
            q.put(b"x" * 1000)


if __name__ == "__main__":
    lock = mp.Lock()
    q = mp.Queue()
    p = mp.Process(target=busy, args=(lock, q), name="busy")
    p.start()
    time.sleep(0.5)
    p.terminate()  # the documented way to corrupt q or leave lock held
    p.join()
    print(p.exitcode)
