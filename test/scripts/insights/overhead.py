"""Overhead: 20,000 tiny tasks, one per message (chunksize=1): the workers mostly wait for data."""
import multiprocessing as mp


def tiny(payload):
    return len(payload)


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(sum(pool.map(tiny, [b"x" * 200] * 20_000, chunksize=1)))
