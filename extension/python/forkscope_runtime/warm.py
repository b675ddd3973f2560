"""The `forkscope` command's warm start (docs/cli.md, "The warm supervisor").

When this user's warm supervisor is listening (a Node process an earlier run left behind,
`forkscope serve --warm`), the shell launcher starts the interpreter as it does for a cold run, with
FORKSCOPE_WARM_START set, and stays its parent instead of becoming Node: it waits for it, and so
knows how it ended. In the script's process, before the runtime is installed, `start()`:

- takes Forkscope's words ("record" and its options) out of `sys.argv`;
- makes the run's folder (private) with two FIFOs in it, `ctl` (the shell's words to the
  supervisor: Ctrl-C, SIGTERM or SIGHUP, and how the script ended) and `done` (the supervisor's
  last words to the shell: the `recorded ...` line);
- hands the run to the supervisor over its socket (one line: the command line, the working
  folder, the environment, this process's pid, the run's folder and secret) and goes on with the
  script at once. A thread reads the answer. Should the supervisor not take the run (busy with
  another, of another build of Forkscope, or silent), this process tells the shell (SIGUSR1), which
  becomes Node and adopts it, as in a cold run: the runtime keeps its events until a socket is
  there (connectWaitMs), so nothing is lost.

`hold_exit()` (once the runtime is installed) makes the process wait for that answer before its
runtime's last flush, and `note_exit(code)` leaves the exit status the script chose in the run's
folder (`exit`), so that the shell can tell a `sys.exit(130)` from a death by SIGINT.
"""

from __future__ import annotations

import os
import sys
import time

import _signal  # pyright: ignore[reportMissingImports] - no stubs for the C module
import _socket
import _thread

from . import config
from .json_c import dumps, loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: How long the supervisor has to answer before the run goes to a Node of its own.
ANSWER_S = 2.0

_state: Any = {"pid": 0, "dir": None, "shell": 0, "answered": None}


def start(spec: str) -> None:
    """See the module's docstring. Never raises: at worst, the run is a cold one."""
    try:
        w = loads(spec)
        argc = int(w["argc"])
        command = sys.argv[1:]
        del sys.argv[1 : argc + 1]
        cfg = config.load()
        run_dir = os.path.dirname(cfg.socket)
        _state.update(pid=os.getpid(), dir=run_dir, shell=cfg.supervisor_pid)
    except Exception:
        _go_cold()
        return
    conn = _connect(w["socket"])
    if conn is None or not _fifos(run_dir):
        _go_cold(conn)
        return
    request = {
        "run": 1,
        "argv": command,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "pid": _state["pid"],
        "shell": _state["shell"],
        "dir": run_dir,
        "secret": cfg.secret,
        "root": cfg.root,
        "tty": os.isatty(2),
        "startedAt": time.time(),
    }
    try:
        conn.sendall(dumps(request).encode() + b"\n")
    except OSError:
        _go_cold(conn)
        return
    answered = _thread.allocate_lock()
    answered.acquire()
    _state["answered"] = answered
    _thread.start_new_thread(_await_answer, (conn, answered))


def hold_exit() -> None:
    """Registers the wait for the supervisor's answer at exit (after the runtime's own hook was
    registered, so that it runs before it: the runtime's last flush then knows where to go)."""
    if _state["answered"] is None:
        return
    import atexit

    atexit.register(_hold)


def _hold() -> None:
    lock = _state["answered"]
    if lock is not None and os.getpid() == _state["pid"]:
        if lock.acquire(True, ANSWER_S + 1.0):
            lock.release()


def note_exit(code: Any) -> None:
    """The exit status the script chose (not for a KeyboardInterrupt, which ends it by SIGINT)."""
    if _state["dir"] is None or os.getpid() != _state["pid"]:
        return
    try:
        with open(os.path.join(_state["dir"], "exit"), "w") as f:
            f.write("%d\n" % (code & 0xFF))
    except Exception:
        pass


def _connect(path: str) -> Any:
    """A connection to the warm supervisor, or None. Its folder must be this user's and private (the
    run's environment goes over it); a socket nobody listens on any more (the supervisor was killed)
    is removed, so that this run, a cold one, leaves a new supervisor."""
    if not config.private_folder(os.path.dirname(path)):
        return None
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        s.settimeout(ANSWER_S)
        s.connect(path)
        return s
    except ConnectionRefusedError:
        s.close()
        try:
            os.unlink(path)
        except OSError:
            pass
    except OSError:
        s.close()
    return None


def _fifos(run_dir: str) -> bool:
    """The run's folder, private to this user (made here if the supervisor has not made it), and the
    two FIFOs in it."""
    if not config.private_folder(run_dir, make=True):
        return False
    try:
        for name in ("ctl", "done"):
            os.mkfifo(os.path.join(run_dir, name), 0o600)
        return True
    except OSError:
        return False


def _await_answer(conn: Any, answered: Any) -> None:
    """The thread: reads the supervisor's answer; anything but `ok` makes the run a cold one."""
    buf = b""
    ok = False
    try:
        conn.settimeout(ANSWER_S)
        while b"\n" not in buf:
            data = conn.recv(4096)
            if not data:
                break
            buf += data
        m = loads(buf.partition(b"\n")[0].decode())
        ok = isinstance(m, dict) and m.get("ok") is True
    except Exception:
        ok = False
    try:
        conn.close()
    except Exception:
        pass
    if not ok:
        _go_cold()
    answered.release()


def _go_cold(conn: Any = None) -> None:
    """Tells the shell launcher to become Node and adopt this process (SIGUSR1)."""
    if conn is not None:
        try:
            conn.close()
        except Exception:
            pass
    shell = _state["shell"] or os.getppid()
    try:
        os.kill(shell, _signal.SIGUSR1)
    except OSError:
        pass
