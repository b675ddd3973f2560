"""Benchmark launcher: `python measure.py FD CMD [ARGS...]` runs CMD and writes one JSON line to
descriptor FD: {"wall": seconds from its start to its exit, "cpu": CPU seconds of CMD and every
process it left behind, "code": its exit code}. On Linux it is a child subreaper
(PR_SET_CHILD_SUBREAPER), so a process CMD leaves running when it exits (a resource tracker that
outlives its parent by a few ms) is reparented here and reaped, and its CPU counts: waited for by
nobody, it would count for no one. Reaping stops after 10 s. The launcher's own start is not timed."""
import json
import os
import resource
import sys
import time


def main():
    fd = int(sys.argv[1])
    cmd = sys.argv[2:]
    os.set_inheritable(fd, False)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except Exception:
            pass
    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    _, status = os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            p, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if p == 0:
            time.sleep(0.005)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    os.write(fd, (json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "code": code}) + "\n").encode())
    sys.exit(code if code >= 0 else 1)


if __name__ == "__main__":
    main()
