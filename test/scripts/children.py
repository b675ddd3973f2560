"""Children started outside multiprocessing (test_children.py): `python children.py MODE`.

Every mode prints only what is the same with and without Forkscope."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INNER = os.path.join(HERE, "children_inner.py")


def show(label, code):
    print(label, code, flush=True)


def main(mode):
    print("driver", mode, os.environ.get("PYTHONPATH"), "FORKSCOPE_CHILD" in os.environ, flush=True)
    if mode == "subprocess":
        r = subprocess.run([sys.executable, INNER, "pool"], stdout=subprocess.PIPE)
        sys.stdout.write(r.stdout.decode())
        show("inner exit", r.returncode)
    elif mode == "module":
        show("module exit", subprocess.call([sys.executable, "-m", "children_inner", "pool"], cwd=HERE))
    elif mode == "shebang":
        fd, path = tempfile.mkstemp(suffix=".py", prefix="fk-shebang-")
        with os.fdopen(fd, "w") as f:
            f.write("#!%s\n" % sys.executable)
            with open(INNER) as g:
                f.write(g.read())
        os.chmod(path, 0o755)
        try:
            show("shebang exit", subprocess.call([path, "pool"]))
        finally:
            os.unlink(path)
    elif mode == "execv":
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, INNER, "pool"])
    elif mode == "posix_spawn":
        pid = os.posix_spawn(sys.executable, [sys.executable, INNER, "pool"], dict(os.environ))
        _, status = os.waitpid(pid, 0)
        show("spawned exit", os.waitstatus_to_exitcode(status))
    elif mode == "commands":
        show("sleep exit", subprocess.call(["sleep", "0.3"]))
        show("sh exit", subprocess.call(["sh", "-c", "sleep 0.2; exit 5"]))
        show("env same", subprocess.run(["env"], stdout=subprocess.PIPE).stdout.count(b"FORKSCOPE_CHILD"))
    elif mode == "system":
        # os.system forks in C: no hook sees it, only the supervisor's look at /proc. It comes after a
        # quiet spell in which nothing was created, when that look skips the processes it has seen.
        import time

        time.sleep(0.6)
        show("system exit", os.waitstatus_to_exitcode(os.system("sleep 0.4")))
    elif mode == "late-exec":
        # A child that keeps its parent's command line for 0.3 s before it runs a program, as C's system() does
        # for a moment: forked and exec'd through libc, so that no hook sees it (only the supervisor's look at /proc).
        import ctypes
        import time

        libc = ctypes.CDLL(None, use_errno=True)
        time.sleep(0.3)  # a quiet spell first, as in "system"
        sys.stdout.flush()
        pid = libc.fork()
        if pid == 0:
            libc.usleep(300000)
            # it then runs for 1 s: the supervisor looks at /proc every 100 ms, and a loaded machine can delay a few looks
            argv = (ctypes.c_char_p * 3)(b"sleep", b"1", None)
            libc.execv(b"/bin/sleep", argv)
            libc._exit(127)
        _, status = os.waitpid(pid, 0)
        show("late-exec exit", os.waitstatus_to_exitcode(status))
    elif mode == "fork":
        pid = os.fork()
        if pid == 0:
            os._exit(3)
        _, status = os.waitpid(pid, 0)
        show("fork exit", os.waitstatus_to_exitcode(status))
    elif mode == "isolated":
        out = subprocess.run([sys.executable, "-I", "-c", "import os; print(sorted(k for k in os.environ if 'FORKSCOPE_CHILD' in k or k == 'PYTHONPATH'))"], stdout=subprocess.PIPE)
        sys.stdout.write(out.stdout.decode())
        show("isolated exit", out.returncode)
    elif mode == "nested":
        # a Python child that starts a Python child of its own
        show("outer exit", subprocess.call([sys.executable, INNER, "child"]))


if __name__ == "__main__":
    main(sys.argv[1])
