"""A Pool under spawn or forkserver (test_children.py): starts the resource tracker (and the forkserver)."""

import multiprocessing
import sys


def double(x):
    return 2 * x


if __name__ == "__main__":
    with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
        print(sum(pool.map(double, range(8))))
