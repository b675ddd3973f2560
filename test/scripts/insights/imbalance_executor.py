"""Imbalance in a ProcessPoolExecutor: map with chunksize=4 sends the four heavy tasks to one worker
(the work and the sizes of imbalance.py)."""
from concurrent.futures import ProcessPoolExecutor

from imbalance import SIZES, work

if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        print(len(list(executor.map(work, SIZES, chunksize=4))))
