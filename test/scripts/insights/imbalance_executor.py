"""Imbalance in a ProcessPoolExecutor: map with chunksize=4 sends the four heavy tasks to one worker."""
from concurrent.futures import ProcessPoolExecutor


def work(n):
    total = 0
    for i in range(n):
        total += i & 7
    return total


if __name__ == "__main__":
    sizes = [4_000_000] * 4 + [20_000] * 4  # the heavy tasks come first, in one chunk
    with ProcessPoolExecutor(2) as executor:
        print(len(list(executor.map(work, sizes, chunksize=4))))
