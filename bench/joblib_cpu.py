"""Benchmark: the CPU-bound work of pool_cpu.py through joblib's Parallel (default backend: loky),
TASKS equal calls over WORKERS processes. Needs joblib (Debian's python3-joblib, for
/usr/bin/python3). argv: workers (default 2), tasks (default 64), backend (default loky)."""
import sys

from joblib import Parallel, delayed

from pool_cpu import WORK, burn  # the Pool line's own work, so the two lines compare like with like


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    backend = sys.argv[3] if len(sys.argv) > 3 else "loky"
    print(sum(Parallel(n_jobs=workers, backend=backend)(delayed(burn)(WORK) for _ in range(tasks))))
