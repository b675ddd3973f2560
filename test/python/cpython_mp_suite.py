"""CPython's own multiprocessing test suite (test._test_multiprocessing), fork
flavour, run plainly or under the Forkscope runtime, to show the runtime
changes nothing that suite can observe.

    python3 test/python/cpython_mp_suite.py [--runtime] [--method fork] [--all | --only NAME ...] [-v]

--runtime runs the same selection under forkscope_launch.py with the test
listener as the supervisor (and says how many events it received). By default
a subset is run (SUBSET below, chosen to stay under ~4 minutes on 2 cores);
--all runs every test class the start method installs.
"""

import argparse
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

# Everything of the "processes" type except the slowest classes, plus the
# manager and misc classes that exercise what the runtime patches.
SLOW = {
    "WithProcessesTestPool",  # ~40 s: pool with many timeouts/terminate cycles (WithProcessesTestPoolWorkerLifetime and WithProcessesTestPoolWorkerErrors stay in)
    "WithManagerTestPool",  # the same pool tests again through a manager
    "WithThreadsTestPool",
    "TestStartMethod",  # starts fresh interpreters for every start method
    "TestResourceTracker",  # kills the tracker with signals and waits for warnings, ~20 s
    "TestSyncManagerTypes",  # one manager per test
    "TestForkAwareThreadLock",
    "_TestProcess",
}


def selected_names(module_globals, args):
    names = sorted(n for n, v in module_globals.items() if isinstance(v, type) and issubclass(v, unittest.TestCase))
    if args.only:
        return [n for n in names if n in set(args.only)]
    if args.all:
        return names
    keep = []
    for n in names:
        if n in SLOW:
            continue
        if n.startswith("WithThreads"):
            continue  # thread flavour: the runtime does not change threads
        keep.append(n)
    return keep


def run_inner(args):
    """Installs the suite in this module (it is __main__, also under the launcher) and runs it."""
    import test._test_multiprocessing as tmp

    g = {"__name__": __name__}
    tmp.install_tests_in_module_dict(g, args.method)
    globals().update({k: v for k, v in g.items() if k not in ("setUpModule", "tearDownModule")})
    names = selected_names(g, args)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(g[n]) for n in names)
    g["setUpModule"]()
    try:
        result = unittest.TextTestRunner(verbosity=2 if args.verbose else 1, stream=sys.stderr).run(suite)
    finally:
        g["tearDownModule"]()
    print("SUITE %s: %d tests, %d failures, %d errors, %d skipped, runtime=%s" % (args.method, result.testsRun, len(result.failures), len(result.errors), len(result.skipped), "forkscope_runtime" in sys.modules), flush=True)
    return 0 if result.wasSuccessful() else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", action="store_true")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="fork")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.inner or not args.runtime:
        return run_inner(args)
    sys.path.insert(0, HERE)
    import listener as L

    lst = L.Listener(keep=False)
    argv = [__file__, "--inner", "--method", args.method] + (["--all"] if args.all else []) + (["--only"] + args.only if args.only else []) + (["-v"] if args.verbose else [])
    t = time.time()
    try:
        r = subprocess.run([sys.executable, L.LAUNCHER] + argv, env=lst.env(), cwd=HERE)
        lst.wait_idle(10)
        print("under the runtime: exit %d in %.0f s, %d events from %d processes, %d refused" % (r.returncode, time.time() - t, lst.count, len(lst.hellos), lst.refused), flush=True)
    finally:
        lst.close()
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
