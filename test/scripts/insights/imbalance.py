"""Imbalance: Pool.map with chunksize=4 sends the four heavy tasks to one worker in one chunk."""
import multiprocessing as mp


def work(n):
    total = 0
    for i in range(n):
        total += i & 7
    return total


SIZES = [10_000_000] * 4 + [20_000] * 4  # the heavy tasks come first, in one chunk

if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(len(pool.map(work, SIZES, chunksize=4)))
