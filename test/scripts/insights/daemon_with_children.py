"""Hygiene: a daemon process tries to start a child of its own (multiprocessing refuses)."""
import multiprocessing as mp


def grandchild():
    pass


def daemon_body():
    mp.Process(target=grandchild, name="grandchild").start()


if __name__ == "__main__":
    d = mp.Process(target=daemon_body, name="keeper", daemon=True)
    d.start()
    d.join()
    print(d.exitcode)
