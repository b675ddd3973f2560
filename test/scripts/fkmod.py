"""Run as `-m fkmod`: prints what plain `python -m` sets, starts one spawn child."""
import multiprocessing as mp
import sys


def child():
    print("child of module", __name__, flush=True)


if __name__ == "__main__":
    print(sys.argv, sys.path[0], __file__, __name__, __spec__.name, __package__, flush=True)
    p = mp.get_context("spawn").Process(target=child)
    p.start()
    p.join()
    raise SystemExit(p.exitcode + 4)
