"""Starts two workers through the upstream-loky fixture (upstream_loky/loky: loky >= 3.5's launch
with _posixsubprocess.fork_exec) and prints what each computed and how it was started."""

import os
import sys

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upstream_loky")
sys.path.insert(0, FIXTURE)
# `python -m loky.backend.popen_loky_posix` must find the fixture, as it finds an installed loky
os.environ["PYTHONPATH"] = FIXTURE + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")

from loky.backend.process import LokyProcess  # noqa: E402


def work(n):
    main = sys.modules["__main__"]
    print("worker", n, sum(i * i for i in range(n)), os.path.basename(sys.argv[0]), sys.path[0] == os.getcwd(), main.__name__, flush=True)


if __name__ == "__main__":
    for n in (10, 20):
        p = LokyProcess(target=work, args=(n,), name="w%d" % n)
        p.start()
        p.join()
        print("joined", p.name, p.exitcode, flush=True)
