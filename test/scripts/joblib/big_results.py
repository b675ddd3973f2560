"""Both workers send a large result at the same moment (they meet at a Manager barrier first): one
of them waits while the other holds the result queue's write lock, a `queue.put` wait of that
worker. argv: BACKEND (loky or multiprocessing), then `no-numpy` to run as where numpy is not
installed (joblib's queues then have no reducers and send with Connection.send)."""

import sys

if "no-numpy" in sys.argv[2:]:
    sys.modules["numpy"] = None  # `import numpy` raises ImportError, as without it

from multiprocessing import Manager

from joblib import Parallel, delayed


def blob(i, barrier):
    barrier.wait(60)
    return bytes([i]) * (16 << 20)


if __name__ == "__main__":
    backend = sys.argv[1] if len(sys.argv) > 1 else "loky"
    with Manager() as m:
        barrier = m.Barrier(2)
        out = Parallel(n_jobs=2, batch_size=1, pre_dispatch="all", backend=backend)(delayed(blob)(i, barrier) for i in range(12))
    print(backend, [len(b) for b in out], sum(b[0] for b in out))
