"""Children started outside multiprocessing: Python interpreters started with
`subprocess`, `os.exec*`, `os.posix_spawn*` (and `os.spawn*`), and the exit
codes of every child a process reaps itself.

Following a Python child: when the program about to run is a Python
interpreter (the running one, a `python*` binary, or a `#!` script whose first
line names python), the environment handed to *that one call* gets
`forkscope_child` (a directory holding only a `sitecustomize.py`) at the front
of PYTHONPATH and a FORKSCOPE_CHILD marker saying how PYTHONPATH was before.
The child's sitecustomize puts PYTHONPATH back, takes its directory off
`sys.path`, installs the runtime (`bootstrap.install_child`) and runs the
sitecustomize it shadows. The parent's own environment is never changed, and
non-Python programs get exactly the environment they were given. Interpreters
started with `-E`, `-I` or `-S` ignore PYTHONPATH or site: they are left alone
(shown as plain processes).

Exit codes: `os.waitpid`, `os.wait`, `os.wait3`, `os.wait4`, `os.waitid` and
`subprocess.Popen._handle_exitstatus` are wrapped without changing their
results; each reaped child gives a `reap` event (pid, exit code as
multiprocessing reports it: negative for a signal).

`os.execv`/`os.execve` (and everything built on them: execl*, execvp*,
spawn*) emit an `exec` event and flush before the process image is replaced;
the same pid then connects again as the new program (docs/runtime-protocol.md).
"""

from __future__ import annotations

import os
import sys
import threading

from . import emitter as E
from . import sites
from .patching import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

CHILD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "forkscope_child")
MARK = "FORKSCOPE_CHILD"
_installed = [False]
_local = threading.local()  # .in_popen: inside subprocess's _execute_child (which may call os.posix_spawn)
_self_exe: List[Any] = [None]


# ---- exit codes ---------------------------------------------------------------------------------


def _code(status: Any) -> Any:
    """The exit code of a wait status (negative signal number when killed); None if not an end."""
    try:
        if os.WIFSTOPPED(status) or os.WIFCONTINUED(status):
            return None
        return os.waitstatus_to_exitcode(status)
    except Exception:
        return None


_recent = {}  # pid -> exit code, reaps reported by the wait wrappers (subprocess's own report is then skipped)


def _reaped(pid: Any, code: Any, dedupe: Any = False) -> None:
    if code is None or not E.enabled:
        return
    if dedupe:
        if _recent.pop(pid, None) == code:
            return
    else:
        if len(_recent) > 256:
            _recent.clear()
        _recent[pid] = code
    try:
        E.emit(reap_event(pid, code))
        E.flush()
    except Exception as e:  # noqa: BLE001
        E.fail("waitpid", e)


def reap_event(pid: Any, code: Any) -> Any:
    """A `reap` event: the child's exit code, and its CPU seconds when the wait that reaped it said."""
    cpu = E.reaped_cpu.pop(pid, None)
    if cpu is None:
        return ["reap", E.time(), pid, code]
    return ["reap", E.time(), pid, code, round(cpu, 4)]


def _make_waitpid(wait4: Callable[..., Any]) -> Any:
    """os.waitpid made with os.wait4 (the C library's waitpid is that system call without the
    rusage), so the CPU of the child it reaps is known, its teardown included (E.reaped_cpu)."""
    table = E.reaped_cpu

    def waitpid(pid: Any, options: Any) -> Any:
        p, status, ru = wait4(pid, options)
        if p > 0:
            if len(table) > 4096:
                table.clear()
            table[p] = ru.ru_utime + ru.ru_stime
        return p, status

    waitpid.__name__ = waitpid.__qualname__ = "waitpid"
    waitpid.__doc__ = os.waitpid.__doc__
    return waitpid


def _make_wait(orig: Callable[..., Any], pid_status: Any, sets_cpu: bool = False) -> Any:
    """A wait function that reports the reaps it makes; `sets_cpu`: `orig` records the reaped child's
    CPU itself (_make_waitpid)."""

    def waited(r: Any, *args: Any, **kwargs: Any) -> None:
        pid, status = pid_status(r)
        if pid and not sets_cpu:  # wait3/wait4 give the rusage; wait leaves none (and no older figure of a reused pid)
            E.reaped_cpu.pop(pid, None)
            if isinstance(r, tuple) and len(r) == 3:
                E.reaped_cpu[pid] = r[2].ru_utime + r[2].ru_stime
        # multiprocessing's own waits are left to it: Popen.poll reports its reaps (processes._make_poll),
        # and the forkserver's waitpid of its children is not their parent learning their end.
        if pid and not str(sys._getframe(2).f_globals.get("__name__")).startswith("multiprocessing."):
            _reaped(pid, _code(status))

    return E.then_record(orig, getattr(orig, "__name__", "wait"), waited)


def _waitid_pid_status(r: Any) -> Any:
    if r is None:
        return 0, None
    return r.si_pid, r


def _make_waitid(orig: Callable[..., Any]) -> Any:
    def waited(r: Any, *args: Any, **kwargs: Any) -> None:
        options = args[2] if len(args) > 2 else kwargs.get("options", 0)
        if r is not None and not options & getattr(os, "WNOWAIT", 0):
            if r.si_code == os.CLD_EXITED:
                _reaped(r.si_pid, r.si_status)
            elif r.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                _reaped(r.si_pid, -r.si_status)

    return E.then_record(orig, "waitid", waited)


# ---- is it Python? ------------------------------------------------------------------------------


def _fs(x: Any) -> Any:
    try:
        return os.fsdecode(x)
    except Exception:
        return None


def _resolve(exe: Any, env: Any, cwd: Any = None) -> Any:
    """The file a call would run: `exe` as given when it holds a slash, else found on PATH."""
    exe = _fs(exe)
    if not exe:
        return None
    if os.sep in exe:
        if cwd is not None and not os.path.isabs(exe):
            exe = os.path.join(_fs(cwd) or "", exe)
        return exe
    try:
        dirs = os.get_exec_path(env)
    except Exception:
        dirs = os.get_exec_path()
    for d in dirs:
        p = os.path.join(_fs(d) or "", exe)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _looks_python_name(name: Any) -> Any:
    if not name.startswith("python"):
        return False
    rest = name[6:]
    if rest.endswith(".exe"):
        rest = rest[:-4]
    rest = rest.rstrip("dmt")
    return all(c.isdigit() or c == "." for c in rest)


def is_python(path: Any) -> Any:
    """True when `path` runs a Python interpreter: the running one, a python* binary, or a #! script naming python."""
    if not path:
        return False
    try:
        if _self_exe[0] is None:
            _self_exe[0] = os.path.realpath(sys.executable) if sys.executable else ""
        real = os.path.realpath(path)
        if real == _self_exe[0] or _looks_python_name(os.path.basename(real)) or _looks_python_name(os.path.basename(path)):
            return True
        with open(path, "rb") as f:
            head = f.read(256)
        if not head.startswith(b"#!"):
            return False
        first = head.split(b"\n", 1)[0]
        return b"python" in first
    except Exception:
        return False


def _ignores_pythonpath(argv: Any) -> Any:
    """True when the interpreter's options (-E, -I, -S) mean it would not load our sitecustomize."""
    i = 1
    while i < len(argv):
        a = _fs(argv[i]) or ""
        i += 1
        if a.startswith("--") and a != "--":  # --version, --check-hash-based-pycs VALUE...: nothing of ours
            continue
        if not a.startswith("-") or a in ("-", "--", "-c", "-m"):
            return False  # the script, or the end of the options
        cluster = a[1:]
        for j, ch in enumerate(cluster):
            if ch in "EIS":
                return True
            if ch in "cm":
                return False  # -c CODE / -m MODULE (possibly attached) ends the options
            if ch in "WX":
                if j == len(cluster) - 1:
                    i += 1  # -W VALUE / -X VALUE: skip the value
                break
    return False


# ---- the child's environment --------------------------------------------------------------------


def child_env(env: Any, how: Any) -> Any:
    """A copy of `env` (None: os.environ) that makes a Python child load the runtime; None when it cannot."""
    base = os.environ if env is None else env
    items = list(base.items())
    binary = bool(items) and isinstance(items[0][0], bytes)
    enc = os.fsencode if binary else (lambda s: s)
    out: Dict[Any, Any] = dict(items)
    pp_key, mark_key, rt_key = enc("PYTHONPATH"), enc(MARK), enc("FORKSCOPE_RUNTIME")
    if mark_key in out:  # already prepared (an exec* called from a spawn* helper, for instance)
        return out
    pp = out.get(pp_key)
    pp_text = _fs(pp) if pp is not None else None
    mark = "%s|%d|%s|%s" % (how, os.getpid(), CHILD_DIR, "-" if pp_text is None else "=" + pp_text)
    out[mark_key] = enc(mark)
    out[pp_key] = enc(CHILD_DIR + (os.pathsep + pp_text if pp_text else ""))
    if rt_key not in out:
        raw = os.environ.get("FORKSCOPE_RUNTIME")
        if raw:
            out[rt_key] = enc(raw)
    return out


def _started(pid: Any, argv: Any, python: Any, how: Any) -> None:
    """The `popen` event: this process started `argv` as child `pid` (shown at once, even if it is short)."""
    try:
        if isinstance(pid, int) and pid > 0:
            E.emit(["popen", E.time(), pid, {"argv": _shown_argv(argv, 64), "python": bool(python), "how": how}])
    except Exception as e:  # noqa: BLE001
        E.fail(how, e)


def _argv_list(args: Any) -> Any:
    if isinstance(args, (str, bytes)) or hasattr(args, "__fspath__"):
        return [args]
    return list(args)


# ---- subprocess ---------------------------------------------------------------------------------


def _make_execute_child(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def _execute_child(self, *args: Any, **kwargs: Any) -> Any:
        argv = py = None
        if E.enabled and len(args) > 9:  # (args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo, creationflags, shell, ...)
            try:
                argv = _argv_list(args[0])
                if args[9]:  # shell=True: the shell is the child
                    argv = ["/bin/sh", "-c"] + argv
                    py = False
                elif argv:
                    env = args[6]
                    path = _resolve(args[1] if args[1] is not None else argv[0], env, args[5])
                    py = is_python(path) and not _ignores_pythonpath(argv)
                    if py and not _boots_itself(argv):
                        args = args[:6] + (child_env(env, "subprocess"),) + args[7:]
            except Exception as e:  # noqa: BLE001
                E.fail("subprocess", e)
        _local.in_popen = True
        try:
            r = orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            _local.in_popen = False
        if argv:
            _started(getattr(self, "pid", None), argv, py, "subprocess")
        return r

    return _execute_child


def _make_handle_exitstatus(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def _handle_exitstatus(self, *args: Any, **kwargs: Any) -> Any:
        r = orig(self, *args, **kwargs)
        try:  # (also reached from Popen.__del__ at interpreter shutdown: nothing here may raise)
            if E.enabled and self.returncode is not None and not getattr(self, "_fk_reaped", None):
                self._fk_reaped = True
                _reaped(self.pid, self.returncode, dedupe=True)
        except Exception:
            pass
        return r

    return _handle_exitstatus


def _patch_subprocess(subprocess: Any) -> None:
    P = subprocess.Popen
    if hasattr(P, "_execute_child") and sys.platform != "win32":
        replace(P, "_execute_child", _make_execute_child(P._execute_child))
    if hasattr(P, "_handle_exitstatus"):
        replace(P, "_handle_exitstatus", _make_handle_exitstatus(P._handle_exitstatus))


# ---- exec and posix_spawn -----------------------------------------------------------------------


def _boots_itself(argv: Any) -> Any:
    """True when the program is `python -c CODE` whose code loads the runtime itself (the runtime's own
    launch prefix, which joblib_support puts in front of loky's worker command): its environment is
    left as given, so that the runtime is not installed twice."""
    for a in argv[1:4]:
        t = _fs(a)
        if t and "_fk_boot()" in t:
            return True
    return False


def _shown_argv(argv: Any, limit: Any = 32) -> Any:
    """argv as the `exec` event shows it: the runtime's launch prefix is left out (`-c PREFIX…run M`
    reads `-m M`, as the user's library wrote it)."""
    out = []
    for a in argv[:limit]:
        t = _fs(a) or "?"
        if "_fk_boot()" in t:
            i = t.find("_run_module_as_main(")
            if out and out[-1] == "-c" and i >= 0:
                out[-1] = "-m"
                t = t[i + len("_run_module_as_main(") :].split(")", 1)[0].strip("'\"")
            else:
                t = t.rsplit("\n", 2)[-2] if t.count("\n") >= 2 else t
        out.append(t)
    return out


def _before_exec(path: Any, argv: Any, python: Any) -> None:
    """The `exec` event, flushed and drained: the process image is replaced next."""
    try:
        shown = _shown_argv(argv)
        E.emit(["exec", E.time(), {"path": _fs(path), "argv": shown, "python": bool(python)}])
        E.flush()
        E.drain_at_exit()
    except Exception as e:  # noqa: BLE001
        E.fail("exec", e)


def _make_execv(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def execv(path: Any, argv: Any) -> Any:
        if E.enabled:
            try:
                a = _argv_list(argv)
                p = _resolve(path, None) if not isinstance(path, int) else None
                py = is_python(p) and not _ignores_pythonpath(a)
                if py and not _boots_itself(a):
                    # execv keeps os.environ: the new image gets our variables through execve instead.
                    _before_exec(path, a, True)
                    return _execve_orig[0](path, argv, child_env(None, "exec"))
                _before_exec(path, a, False)
            except Exception as e:  # noqa: BLE001
                E.fail("exec", e)
        try:
            return orig(path, argv)
        except BaseException as e:
            sites.hide(e)
            raise

    return execv


def _make_execve(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def execve(path: Any, argv: Any, env: Any) -> Any:
        if E.enabled:
            try:
                a = _argv_list(argv)
                p = _resolve(path, env) if not isinstance(path, int) else None
                py = is_python(p) and not _ignores_pythonpath(a)
                _before_exec(path, a, py)
                if py and not _boots_itself(a):
                    env = child_env(env, "exec")
            except Exception as e:  # noqa: BLE001
                E.fail("exec", e)
        try:
            return orig(path, argv, env)
        except BaseException as e:
            sites.hide(e)
            raise

    return execve


_execve_orig: List[Any] = [None]


def _make_posix_spawn(orig: Callable[..., Any], search: Any) -> Any:
    @sites.hidden
    def posix_spawn(path: Any, argv: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        a = py = None
        if E.enabled and not getattr(_local, "in_popen", False):
            try:
                a = _argv_list(argv)
                p = _resolve(path, None) if search else _fs(path)
                py = is_python(p) and not _ignores_pythonpath(a)
                if py and not _boots_itself(a):
                    env = child_env(env, "posix_spawn")
            except Exception as e:  # noqa: BLE001
                E.fail("posix_spawn", e)
        try:
            pid = orig(path, argv, env, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        if a:
            _started(pid, a, py, "posix_spawn")
        return pid

    return posix_spawn


# ---- multiprocessing's helpers: their own exit code ----------------------------------------------


def _patch_helper(module: Any) -> None:
    """In the resource trackers (multiprocessing's, loky's) and the forkserver (started with
    `python -c`, nobody's Process), the exit code of their `main` is what the process exits with:
    the `exit` event carries it, and the `ended` event how `main` ended (it returns when the last
    process using the helper has closed its end of the pipe)."""
    from . import processes

    role = processes.identity.get("role")
    name = module.__name__
    if not ((role == "resource-tracker" and name.endswith("resource_tracker")) or (role == "forkserver" and name.endswith("forkserver"))):
        return
    orig = module.main

    @sites.hidden
    def main(*args: Any, **kwargs: Any) -> Any:
        try:
            r = orig(*args, **kwargs)
        except SystemExit as e:
            c = e.code
            processes.identity["main_exit"] = 0 if c is None else (c if isinstance(c, int) else 1)
            processes.identity["main_end"] = processes.end_of_exception(e)
            raise
        except BaseException as e:
            processes.identity["main_exit"] = 1
            processes.identity["main_end"] = processes.end_of_exception(e)
            raise
        processes.identity["main_exit"] = 0
        processes.identity["main_end"] = ["returned", None]
        return r

    replace(module, "main", main)


def install() -> None:
    """Wraps the os-level calls (once per process; subprocess is patched when imported)."""
    if _installed[0] or os.name != "posix":
        return
    _installed[0] = True
    for name, ps in (("waitpid", lambda r: r), ("wait", lambda r: r), ("wait3", lambda r: (r[0], r[1])), ("wait4", lambda r: (r[0], r[1]))):
        f = getattr(os, name, None)
        if f is not None:
            own_cpu = name == "waitpid" and hasattr(os, "wait4")
            replace(os, name, _make_wait(_make_waitpid(os.wait4) if own_cpu else f, ps, own_cpu))
    if hasattr(os, "waitid"):
        replace(os, "waitid", _make_waitid(os.waitid))
    if hasattr(os, "execve"):
        _execve_orig[0] = os.execve
        replace(os, "execv", _make_execv(os.execv))
        replace(os, "execve", _make_execve(os.execve))
    for name, search in (("posix_spawn", False), ("posix_spawnp", True)):
        f = getattr(os, name, None)
        if f is not None:
            replace(os, name, _make_posix_spawn(f, search))


def uninstall() -> None:
    _installed[0] = False
