"""A script that never imports dask: under Forkscope, distributed must not be imported either."""

import sys
from multiprocessing import Pool

if __name__ == "__main__":
    with Pool(1) as p:
        p.map(abs, [1, 2])
    print("distributed" in sys.modules)
