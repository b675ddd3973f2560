"""Process lifecycle, and following every process the script creates.

Patches `BaseProcess.start` (the `create`/`started` events and the process
key the child learns from its pickled or inherited object), `_bootstrap` (the
child's identity, `run`/`runend`, and `exit` with a flush: fork children leave
through `os._exit`, so nothing is left to atexit), `join`, and the Popen
classes' `poll` (the moment a parent reaps a child's exit code).

Spawn and forkserver children, the forkserver and the resource tracker are
started by `multiprocessing.util.spawnv_passfds` with `python -c PROGRAM`:
the program gets a guarded prefix that imports the runtime from `root` and
takes `root` off `sys.path` again, so no PYTHONPATH is needed. Plain
`os.fork()` children are followed through `os.register_at_fork`: the child
resets the runtime's state before its first event and, unless it is a
multiprocessing child (whose identity `_bootstrap` announces), says it is a
`fork`.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from time import monotonic as _monotonic

from . import emitter as E
from . import sites
from .children import reap_event
from .patching import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List

_counter = itertools.count(1)
_local = threading.local()
_installed = [False]
identity = {"role": None, "announced": False, "exit_sent": False, "main_exit": None}
_started_children = [0]
uninstall_all: List[Callable[[], None]] = [lambda: None]  # bootstrap.uninstall, set by bootstrap (which imports this module)
_cap_warned = [False]
_at_fork_registered = [False]
_hook_roles = {}  # id(function) -> role, for targets whose role is known (pool workers...)

PREFIX = (
    "def _fk_boot():\n"
    " import sys\n"
    " try:\n"
    "  sys.path.insert(0, %r)\n"
    "  import forkscope_runtime.bootstrap as b\n"
    "  b.install_spawned(%r)\n"
    " except Exception:\n"
    "  pass\n"
    " finally:\n"
    "  try:\n"
    "   sys.path.remove(%r)\n"
    "  except ValueError:\n"
    "   pass\n"
    "_fk_boot()\n"
    "del _fk_boot\n"
)


def register_role(func: Any, role: Any) -> None:
    """Says that a Process whose target is `func` plays `role` (pool-worker, executor-worker, manager)."""
    _hook_roles[id(func)] = role


def _role_of(target: Any) -> Any:
    if target is None:
        return "process"
    role = _hook_roles.get(id(target))
    if role is None:
        role = _hook_roles.get(id(getattr(target, "__func__", None)))
    if role is None and getattr(target, "__name__", None) == "_run_server":
        if getattr(target, "__module__", "") == "multiprocessing.managers":
            role = "manager"
    return role or "process"


def _start_method_of(proc: Any) -> Any:
    m = getattr(proc, "_start_method", None)
    if m:
        return m
    try:
        from multiprocessing import context  # pyright: ignore[reportAttributeAccessIssue]

        dc = context._default_context
        ctx = dc._actual_context or dc._default_context
        return ctx._name
    except Exception:
        return None


def _describe(proc: Any) -> Any:
    target = getattr(proc, "_target", None)
    if target is not None:
        tname, tfile, tline = sites.code_site(target)
    else:
        run = getattr(type(proc), "run", None)
        tname, tfile, tline = sites.code_site(run) if run is not None else (None, None, None)
    return {
        "key": None,
        "name": proc.name,
        "target": tname,
        "file": tfile,
        "line": tline,
        "startMethod": _start_method_of(proc),
        "daemon": bool(proc.daemon),
        "role": _role_of(target),
    }


def _exc_text(e: Any) -> Any:
    if isinstance(e, SystemExit):
        return None
    s = str(e)
    return "%s: %s" % (type(e).__name__, s) if s else type(e).__name__


# ---- parent side -----------------------------------------------------------------------------


def _make_start(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def start(self) -> None:
        info = None
        if E.enabled:
            try:
                t0 = E.time()
                if _started_children[0] >= E.cfg.max_processes:
                    self._fk_off = True
                    if not _cap_warned[0]:
                        _cap_warned[0] = True
                        E.emit(["warn", t0, "max-processes", "More than %d processes were started from pid %d; the rest are not recorded." % (E.cfg.max_processes, E.pid)])
                else:
                    _started_children[0] += 1
                    info = _describe(self)
                    info["key"] = "%d:%d" % (E.pid, next(_counter))
                    self._fk = info
            except Exception as e:  # noqa: BLE001
                E.fail("Process.start", e)
                info = None
        prev = getattr(_local, "starting", None)
        _local.starting = self
        try:
            orig(self)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            _local.starting = prev
        if info is not None:
            try:
                E.emit(["create", t0, info])  # pyright: ignore[reportPossiblyUnboundVariable] - set when info is
                E.emit(["started", E.time(), info["key"], self.pid])
                E.flush()
            except Exception as e:  # noqa: BLE001
                E.fail("Process.start", e)

    return start


def _make_join(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def join(self, timeout: Any = None) -> Any:
        info = getattr(self, "_fk", None)
        if info is None or not E.enabled:
            return orig(self, timeout)
        t0 = E.time()
        w = E.wait_begin("join", info["key"], self.name)
        try:
            orig(self, timeout)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            E.wait_end(w)
        try:
            popen = getattr(self, "_popen", None)
            code = popen.returncode if popen is not None else None
            E.emit(["join", E.time(), info["key"], t0, code])
            E.flush()
        except Exception as e:  # noqa: BLE001
            E.fail("Process.join", e)

    return join


def _make_poll(orig: Callable[..., Any]) -> Any:
    def polled(rc: Any, self: Any, *args: Any, **kwargs: Any) -> None:
        if rc is not None and not getattr(self, "_fk_reaped", None):
            self._fk_reaped = True
            E.emit(reap_event(self.pid, rc))
            E.flush()

    return E.then_record(orig, "Popen.poll", polled)


def _make_spawnv(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def spawnv_passfds(path: Any, args: Any, passfds: Any) -> Any:
        if E.enabled:
            try:
                args = prefix_args(args)
            except Exception as e:  # noqa: BLE001
                E.fail("spawnv_passfds", e)
        return orig(path, args, passfds)

    return spawnv_passfds


def prefix_args(args: Any) -> Any:
    """The argument list with the runtime's import prefixed to its `-c` program."""
    args = list(args)
    if "-c" not in args:
        return args
    i = args.index("-c")
    if i + 1 >= len(args):
        return args
    prog = args[i + 1]
    if "_fk_boot" in prog:
        return args
    if "multiprocessing.forkserver" in prog:
        hint = "forkserver"
    elif "resource_tracker" in prog:
        hint = "resource-tracker"
    else:
        hint = "process"
    root = E.cfg.root
    args[i + 1] = PREFIX % (root, hint, root) + prog
    return args


# ---- how a process ended ---------------------------------------------------------------------
#
# A process says how it ended itself (`ended`: its run() returned, raised, called sys.exit, or it
# called os._exit), and a parent says when it stops one (`endby`: terminate(), kill(), interrupt(),
# or a Pool's/executor's own shutdown). The reducer weighs both against the exit code.


def end_of_exception(e: Any) -> Any:
    """[reason, detail] for a run() (or a main script) that ended with exception e."""
    if isinstance(e, SystemExit):
        c = e.code
        return ["sys.exit", "0" if c is None else str(c)]
    return ["exception", _exc_text(e)]


_POOL_FILES = (os.sep + os.path.join("multiprocessing", "pool.py"), os.sep + os.path.join("concurrent", "futures", "process.py"))
_UTIL_FILE = os.sep + os.path.join("multiprocessing", "util.py")
_POOL_CALLERS = (
    ("__exit__", "leaving with Pool(...)"),
    ("terminate_workers", "terminate_workers()"),
    ("kill_workers", "kill_workers()"),
    ("terminate_broken", "the executor broke"),
    ("terminate", "Pool.terminate()"),
    ("__init__", "the pool failed to start"),
)


def _stop_reason(how: Any) -> Any:
    """[reason, detail] for a terminate()/kill()/interrupt() call: a Pool's or executor's own code
    calling it is the pool's shutdown (walked from the caller; only when a process is stopped)."""
    try:
        f = sys._getframe(2)
    except ValueError:
        return [how, None]
    names = []
    at_exit = False
    depth = 0
    while f is not None and depth < 16:
        fn = f.f_code.co_filename
        if fn.endswith(_POOL_FILES):
            names.append(f.f_code.co_name)
        elif f.f_code.co_name == "_exit_function" and fn.endswith(_UTIL_FILE):
            at_exit = True
        elif not (sites._is_runtime(fn) or fn.startswith(sites._STDLIB_DIRS)):
            break
        f = f.f_back
        depth += 1
    if not names:
        # multiprocessing's exit function terminates the daemonic children still running
        return [how, "daemon: its parent exited"] if at_exit else [how, None]
    for name, detail in _POOL_CALLERS:
        if name in names:
            return ["terminated-by-pool", detail]
    return ["terminated-by-pool", "the pool's shutdown"]


FLUSH_GRACE_S = 0.02  # how long a pool's terminate() lets a worker that is on a CPU reach its flush


def let_worker_flush(pid: int, grace: float = FLUSH_GRACE_S) -> None:
    """Before a pool terminates a worker that is on a CPU (state R in /proc/PID/stat), let it run
    for up to `grace` s until it sleeps. A worker hands back a result before it flushes the record
    of that task when another task is waiting (pools._flush_if_idle); if a sibling takes that task
    and finishes the job while this worker is preempted, the pool's shutdown would kill it with the
    record unsent (seen under load: 19,999 of 20,000 chunks). A worker asleep waiting for a task
    has flushed; one still computing is terminated after `grace` s, as it would have been."""
    path = "/proc/%d/stat" % pid
    deadline = _monotonic() + grace
    while True:
        try:
            with open(path, "rb") as f:
                stat = f.read()
        except OSError:  # gone, or no /proc
            return
        if stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] != b"R" or _monotonic() >= deadline:
            return
        E.sleep(0.0005)


def _make_stop(orig: Callable[..., Any], how: Any) -> Any:
    @sites.hidden
    def stop(self) -> Any:
        if E.enabled and getattr(self, "_fk", None) is not None:
            try:
                popen = getattr(self, "_popen", None)
                if popen is not None and popen.returncode is None:
                    reason = _stop_reason(how)
                    E.emit(["endby", E.time(), self.pid] + reason)
                    E.flush()
                    if reason[0] == "terminated-by-pool" and how == "terminate()":
                        let_worker_flush(self.pid)
            except Exception as e:  # noqa: BLE001
                E.fail("Process." + how, e)
        try:
            return orig(self)
        except BaseException as e:
            sites.hide(e)
            raise

    return stop


_MP_DIR: List[Any] = [None]


def _make_os_exit(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def _exit(*args: Any, **kwargs: Any) -> Any:
        # The user's os._exit says so (and sends the exit event, which nothing else would) before
        # the process goes; multiprocessing's own os._exit after a child's _bootstrap does not.
        try:
            if _installed[0] and E.enabled and not identity["exit_sent"]:
                fn = sys._getframe(1).f_code.co_filename
                mp = _MP_DIR[0]
                if mp is None:
                    import multiprocessing

                    mp = _MP_DIR[0] = os.path.dirname(os.path.abspath(multiprocessing.__file__)) + os.sep
                code = args[0] if args else kwargs.get("status")
                if isinstance(code, int) and not fn.startswith(mp) and not sites._is_runtime(fn):  # else os._exit raises TypeError
                    E.emit(["ended", E.time(), "os._exit", str(int(code))])
                    exit_event(int(code))
        except BaseException:  # noqa: BLE001 - never keep a process from exiting
            pass
        try:
            return orig(*args, **kwargs)
        except BaseException as e:  # a bad argument: the standard library's TypeError, without this frame
            sites.hide(e)
            raise

    return _exit


# ---- child side ----------------------------------------------------------------------------


def announce(info: Any, extra: Any = None) -> None:
    """Emits this process's `proc` event (again, if its identity became known later)."""
    d = {"pid": E.pid, "ppid": os.getppid()}
    d.update(info)
    if extra:
        d.update(extra)
    identity["role"] = d.get("role")
    identity["announced"] = True
    E.emit(["proc", E.time(), d])
    E.start_flusher()


def announce_main() -> None:
    """The main process's `proc` event, with the run's facts."""
    announce(
        {"key": None, "name": "MainProcess", "role": "main", "startMethod": None, "target": None, "file": None, "line": None, "daemon": False},
        {
            "argv": list(sys.argv),
            "executable": sys.executable,
            "python": sys.version.split()[0],
            "cwd": os.getcwd(),
            "cpuCount": os.cpu_count(),
        },
    )
    E.flush()


def exit_event(code: Any) -> None:
    """Emits `exit` once, with CPU time and peak RSS, and flushes."""
    if identity["exit_sent"] or not E.enabled:
        return
    identity["exit_sent"] = True
    cpu = rss = None
    try:
        t = os.times()
        cpu = round(t.user + t.system, 4)
    except Exception:
        pass
    rss = _peak_rss()
    E.emit(["exit", E.time(), code, cpu, rss, live_children()])
    E.flush()
    E.drain_at_exit()


def _peak_rss() -> Any:
    """Peak resident bytes of this process's current memory image: VmHWM of /proc/self/status
    (Linux), which starts afresh at exec, so a spawn child does not carry the parent's peak as
    ru_maxrss does; ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except Exception:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    except Exception:
        return None


def live_children() -> Any:
    """The pids of this process's children that the OS still lists (alive or not yet reaped), from
    /proc/self/task/*/children (Linux); None where that cannot be read. The supervisor waits after
    the run only for those of them it has not heard from yet (one just forked has not connected)."""
    try:
        kids = []
        read = False
        for tid in os.listdir("/proc/self/task"):
            try:
                with open("/proc/self/task/%s/children" % tid) as f:
                    kids.extend(int(x) for x in f.read().split())
                read = True
            except FileNotFoundError:  # a thread that ended meanwhile (or a kernel without the file)
                pass
        return kids if read else None
    except Exception:
        return None


def _make_run(real_run: Any) -> Any:
    def run() -> Any:
        E.emit(["run", E.time(), identity.get("key")])
        E.flush()
        try:
            r = real_run()
        except BaseException as e:
            try:
                t = E.time()
                E.emit(["ended", t] + end_of_exception(e))
                E.emit(["runend", t, _exc_text(e)])
                E.flush()
            except Exception:
                pass
            sites.hide(e)
            raise
        try:
            t = E.time()
            by_pool = identity.get("pool_sentinel")  # the worker loop got its pool's stop sentinel
            E.emit(["ended", t, "terminated-by-pool" if by_pool else "returned", by_pool or None])
            E.emit(["runend", t, None])
            E.flush()
        except Exception:
            pass
        return r

    sites.HIDDEN.add(run.__code__)
    return run


def _defer_exit_to_atexit(info: Any) -> Any:
    """Python 3.13+ runs a child's multiprocessing exit function (which flushes queue feeders) from
    atexit, after `_bootstrap` returns (fork/forkserver children run their atexit handlers; a spawn
    child's interpreter exits normally): the `exit` event and the last counters then go out from an
    atexit handler that runs after that one, so a child stuck flushing a queue has not exited yet."""
    if sys.version_info < (3, 13) or info.get("startMethod") not in ("fork", "forkserver", "spawn"):
        return False
    try:
        import atexit
        from multiprocessing import util

        atexit.unregister(util._exit_function)
        atexit.register(_deferred_exit)
        atexit.register(util._exit_function)
        return True
    except Exception as e:  # noqa: BLE001
        E.fail("Process._bootstrap", e)
        return False


def _deferred_exit() -> None:
    """atexit (3.13+ fork children): the exit event after multiprocessing's exit function."""
    try:
        exit_event(identity.get("child_exit"))
    except Exception:
        pass


def _make_bootstrap(orig: Callable[..., Any]) -> Any:
    def _bootstrap(self, *args: Any, **kwargs: Any) -> Any:
        info = getattr(self, "_fk", None)
        if getattr(self, "_fk_off", None):
            try:
                uninstall_all[0]()
            except Exception:
                pass
            return orig(self, *args, **kwargs)
        if info is None or not E.enabled:
            return orig(self, *args, **kwargs)
        wrapped = False
        try:
            _local.starting = None
            _started_children[0] = 0
            identity["exit_sent"] = False
            identity["key"] = info["key"]
            identity.pop("pool_sentinel", None)  # inherited by a fork child: its own loop sets it again
            identity.pop("main_end", None)
            announce(info)
            run = self.run
            if getattr(run, "__func__", None) is getattr(type(self), "run", None):  # not one set on the object itself
                self.run = _make_run(run)
                wrapped = True
        except Exception as e:  # noqa: BLE001
            E.fail("Process._bootstrap", e)
        deferred = _defer_exit_to_atexit(info)
        code = orig(self, *args, **kwargs)
        try:
            if wrapped:
                del self.run
            if deferred:
                identity["child_exit"] = code
            else:
                exit_event(code)
        except Exception as e:  # noqa: BLE001
            E.fail("Process._bootstrap", e)
        return code

    return _bootstrap


def after_fork_child() -> None:
    """os.register_at_fork(after_in_child): rebuild the runtime's state; a plain fork says who it is."""
    if not _installed[0] or not E.enabled:
        return
    try:
        mp_child = getattr(_local, "starting", None) is not None or identity.get("role") == "forkserver"
        E.reset_after_fork()
        global _counter
        _counter = itertools.count(1)
        _started_children[0] = 0
        identity["exit_sent"] = False
        identity["announced"] = False
        identity.pop("pool_sentinel", None)
        identity.pop("main_end", None)
        if not mp_child:
            identity["key"] = None
            announce({"key": None, "name": "Fork-%d" % E.pid, "role": "fork", "startMethod": "fork", "target": None, "file": None, "line": None, "daemon": False})
        else:
            identity["role"] = "process"
    except Exception as e:  # noqa: BLE001
        E.fail("after-fork", e)


def _at_exit() -> None:
    """atexit: the last words of a process that ends through normal interpreter exit."""
    if not E.enabled:
        return
    try:
        if not identity["announced"]:
            announce({"key": None, "name": None, "role": identity.get("role") or "process"})
        E.stop_flusher(0.3)
        if identity.get("main_end") is not None and not identity["exit_sent"]:
            E.emit(["ended", E.time()] + identity["main_end"])
        exit_event(identity.get("main_exit"))
        E.flush()
        E.close_transport()  # an open socket left to the garbage collector would warn (ResourceWarning)
    except Exception:
        pass


def install() -> None:
    """Registers the at-fork hooks (once); the patches are applied by bootstrap's import hooks."""
    if _installed[0]:
        return
    _installed[0] = True
    try:
        replace(os, "_exit", _make_os_exit(os._exit))
    except Exception as e:  # noqa: BLE001
        E.fail("os._exit", e)
    if not _at_fork_registered[0]:  # at-fork hooks cannot be removed: they check _installed
        os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent, after_in_child=after_fork_child)
        _at_fork_registered[0] = True


def _patch_process(process: Any) -> None:
    BP = process.BaseProcess
    replace(BP, "start", _make_start(BP.start))
    replace(BP, "join", _make_join(BP.join))
    replace(BP, "_bootstrap", _make_bootstrap(BP._bootstrap))
    for how in ("terminate", "kill", "interrupt"):  # interrupt(): Python 3.14+
        if hasattr(BP, how):
            replace(BP, how, _make_stop(getattr(BP, how), how + "()"))


def _patch_popen(mod: Any) -> None:
    replace(mod.Popen, "poll", _make_poll(mod.Popen.poll))
    if "terminate" in mod.Popen.__dict__:  # popen_fork's; the forkserver's Popen inherits it
        replace(mod.Popen, "terminate", _make_popen_terminate(mod.Popen.terminate))


def _make_popen_terminate(orig: Callable[..., Any]) -> Any:
    """multiprocessing's exit function terminates daemonic children through their Popen directly."""

    @sites.hidden
    def terminate(self) -> Any:
        if E.enabled and self.returncode is None:
            try:
                f = sys._getframe(1)
                if f.f_code.co_name == "_exit_function" and f.f_code.co_filename.endswith(_UTIL_FILE):
                    E.emit(["endby", E.time(), self.pid, "terminate()", "daemon: its parent exited"])
                    E.flush()
            except Exception as e:  # noqa: BLE001
                E.fail("Popen.terminate", e)
        try:
            return orig(self)
        except BaseException as e:
            sites.hide(e)
            raise

    return terminate


def _patch_util(util: Any) -> None:
    replace(util, "spawnv_passfds", _make_spawnv(util.spawnv_passfds))


def _before_fork() -> None:
    if _installed[0] and E.enabled:
        E.before_fork()


def _after_fork_parent() -> None:
    if _installed[0] and E.enabled:
        E.after_fork_parent()


def uninstall() -> None:
    """Marks the lifecycle hooks off (patches are undone by the undo log)."""
    _installed[0] = False
    try:
        import atexit

        atexit.unregister(_at_exit)
    except Exception:
        pass
