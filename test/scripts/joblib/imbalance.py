"""One long call among short ones, one call per batch: the worker that gets it is busy long after
the other has finished (the inspector's imbalance insight names the Parallel call)."""

from joblib import Parallel, delayed


def burn(n):
    s = 0
    for i in range(n):
        s += i % 7
    return s


if __name__ == "__main__":
    work = [40_000_000] + [50_000] * 15
    total = sum(Parallel(n_jobs=2, batch_size=1)(delayed(burn)(w) for w in work))
    print(total)
