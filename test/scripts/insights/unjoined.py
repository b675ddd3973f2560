"""Hygiene: a child that is never joined (multiprocessing reaps it in passing, at the next start())."""
import multiprocessing as mp
import time


def quick():
    pass


if __name__ == "__main__":
    forgotten = mp.Process(target=quick, name="forgotten")
    forgotten.start()
    time.sleep(0.5)
    other = mp.Process(target=quick, name="other")
    other.start()  # reaps "forgotten" on the way
    other.join()
    print(forgotten.exitcode)
