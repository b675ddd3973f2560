"""Installing the runtime in a process, once, and taking it out again.

`install_main()` is called by the launcher in the main process,
`install_spawned(role)` by the `-c` prefix in spawn children, the forkserver
and the resource tracker; fork children inherit everything and are reset by
the at-fork hook. Both read FORKSCOPE_RUNTIME through `config.load()` and
install nothing without it. Importing this module twice, or calling an
install twice, patches once. `uninstall()` undoes every patch (tests).

The runtime's atexit hook is registered before `multiprocessing` is imported,
so it runs after multiprocessing's own (which joins children), and the
process's `exit` event comes last.
"""

from __future__ import annotations

import sys

from . import config
from . import emitter as E
from . import processes
from . import sites
from .patching import replace, undo_all

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

_state = {"installed": False}


# module imported -> (runtime module, patch function); each runtime module is imported only
# when the standard-library module it patches is (a script pays for what it uses).
HOOKS = (
    ("multiprocessing.process", "processes", "_patch_process"),
    ("multiprocessing.popen_fork", "processes", "_patch_popen"),
    ("multiprocessing.popen_forkserver", "processes", "_patch_popen"),
    ("multiprocessing.util", "processes", "_patch_util"),
    ("multiprocessing.connection", "channels", "_patch_connection"),
    ("multiprocessing.queues", "channels", "_patch_queues"),
    ("multiprocessing.synchronize", "locks", "_patch_synchronize"),
    ("multiprocessing.sharedctypes", "locks", "_patch_sharedctypes"),
    ("multiprocessing.pool", "pools", "_patch_pool"),
    ("concurrent.futures.process", "pools", "_patch_executor"),
    ("concurrent.futures._base", "pools", "_patch_future"),
    ("multiprocessing.managers", "managers", "_patch"),
    ("subprocess", "children", "_patch_subprocess"),
    ("multiprocessing.resource_tracker", "children", "_patch_helper"),
    ("multiprocessing.forkserver", "children", "_patch_helper"),
    # joblib and loky (vendored or standalone): joblib_support.py
    ("joblib", "joblib_support", "_patch_joblib"),
    ("joblib.pool", "joblib_support", "_patch_joblib_pool"),
    ("joblib._parallel_backends", "joblib_support", "_patch_backends"),
    ("loky", "joblib_support", "_patch_loky"),
    # dask.distributed's Client: dask_support.py
    ("distributed.client", "dask_support", "_patch_client"),
) + tuple(
    (pkg + mod, "joblib_support", fn)
    for pkg in ("joblib.externals.loky", "loky")
    for mod, fn in ((".backend.fork_exec", "_patch_fork_exec"), (".backend.popen_loky_posix", "_patch_popen"), (".backend.queues", "_patch_queues"), (".process_executor", "_patch_executor"))
) + tuple((pkg + ".backend.resource_tracker", "children", "_patch_helper") for pkg in ("joblib.externals.loky", "loky"))


def _hook(runtime_module: Any, function: Any) -> Any:
    def run(module: Any) -> None:
        import importlib

        getattr(importlib.import_module("forkscope_runtime." + runtime_module), function)(module)

    return run


def _install_patches() -> None:
    import atexit

    from . import lazy, locks

    atexit.register(processes._at_exit)  # before multiprocessing.util registers its own
    sites.init()
    processes.install()
    locks.install()
    from . import output

    output.install()
    from . import children

    children.install()
    for name, runtime_module, function in HOOKS:
        lazy.when_imported(name, _hook(runtime_module, function))
    if not sites.NEW_RERAISE:
        _install_old_traceback_filter()


def _install_old_traceback_filter() -> None:
    """Python 3.9/3.10: cut the runtime's wrapper frames out of printed tracebacks."""
    import traceback

    orig_walk = traceback.walk_tb

    def walk_tb(tb: Any) -> Iterator[Any]:
        for f, lineno in orig_walk(tb):
            if f.f_code not in sites.HIDDEN:
                yield f, lineno

    replace(traceback, "walk_tb", walk_tb)
    orig_hook = sys.excepthook

    def excepthook(t: Any, v: Any, tb: Any) -> Any:
        try:
            tb = sites.splice(tb)
            v.__traceback__ = tb  # the default hook prints the exception's own traceback
            sites._splice_exc(v.__context__, set())
            sites._splice_exc(v.__cause__, set())
        except Exception:
            pass
        return orig_hook(t, v, tb)

    if orig_hook is sys.__excepthook__:
        replace(sys, "excepthook", excepthook)


def _start(role_hint: Any) -> Any:
    if _state["installed"]:
        return False
    cfg = config.load()
    if cfg is None:
        return False
    try:
        E.start(cfg)
        processes.identity["role"] = role_hint
        _install_patches()
        _state["installed"] = True
        return True
    except Exception as e:  # noqa: BLE001
        try:
            E.fail("install", e)
            uninstall()
        except Exception:
            pass
        return False


def install_main() -> Any:
    """Installs the runtime in the main process and announces it; returns True when active."""
    if not _start("main"):
        return False
    try:
        processes.announce_main()
    except Exception as e:  # noqa: BLE001
        E.fail("install", e)
    return True


def install_spawned(role: Any) -> Any:
    """Installs the runtime in a process started with `python -c` by multiprocessing."""
    if not _start(role):
        return False
    if role in ("forkserver", "resource-tracker"):
        try:
            name = "ForkServer" if role == "forkserver" else "ResourceTracker"
            processes.announce({"key": None, "name": name, "role": role, "startMethod": None, "target": None, "file": None, "line": None, "daemon": True})
            E.flush()
        except Exception as e:  # noqa: BLE001
            E.fail("install", e)
    return True


def _is_loky_tracker(orig_argv: Any) -> Any:
    """True for loky's resource tracker: `python … -c "from <loky>.backend.resource_tracker import main…"`."""
    try:
        i = orig_argv.index("-c")
        return ".backend.resource_tracker import main" in orig_argv[i + 1]
    except (ValueError, IndexError, TypeError):
        return False


def install_child(how: Any, parent: Any) -> Any:
    """Installs the runtime in a Python interpreter started outside multiprocessing (`subprocess`,
    `os.posix_spawn`, `os.exec*`), from forkscope_child/sitecustomize.py. `how` is the starting call
    ("subprocess", "posix_spawn", "exec"), `parent` the pid that made it. After an exec the process
    is the same one (same pid): it only says which program it runs now."""
    role = "subprocess" if how != "exec" else None
    if not _start(role):
        return False
    try:
        import os

        argv = list(sys.argv)
        orig = list(getattr(sys, "orig_argv", []) or [])
        if not orig:  # Python < 3.10
            try:
                with open("/proc/self/cmdline", "rb") as f:
                    orig = [os.fsdecode(x) for x in f.read().split(b"\0")[:-1]]
            except OSError:
                pass
        if argv and argv[0] == "-m" and "-m" in orig[:-1]:
            name = "python -m " + orig[orig.index("-m") + 1]
        elif argv and argv[0] == "-c":
            name = "python -c"
        else:
            name = os.path.basename(argv[0]) if argv and argv[0] else "python"
        facts = {"argv": argv, "executable": sys.executable, "python": sys.version.split()[0], "cwd": os.getcwd(), "startedBy": parent}
        if how == "exec" and _is_loky_tracker(orig):
            # loky's resource tracker: forked, then exec'd as `python -c "from …loky.backend.resource_tracker import main; …"`
            info = {"key": None, "name": "ResourceTracker (loky)", "role": "resource-tracker", "startMethod": None, "target": None, "file": None, "line": None, "daemon": True}
            facts["exec"] = True
        elif how == "exec":
            info = {"key": None, "name": None, "role": None, "startMethod": None, "target": None, "file": None, "line": None, "daemon": None}
            facts["exec"] = True
        else:
            info = {"key": None, "name": name, "role": "subprocess", "startMethod": how, "target": None, "file": None, "line": None, "daemon": False}
        processes.announce(info, facts)
        E.flush()
    except Exception as e:  # noqa: BLE001
        E.fail("install", e)
    return True


def set_main_exit(code: Any, exc: Any = None) -> None:
    """The launcher tells the exit code the main script ended with (and the exception it ended with)."""
    processes.identity["main_exit"] = code
    try:
        processes.identity["main_end"] = processes.end_of_exception(exc) if exc is not None else ["returned", None]
    except Exception:
        pass


def active() -> Any:
    """True while the runtime is installed in this process."""
    return _state["installed"]


def uninstall() -> None:
    """Undoes every patch and stops recording in this process."""
    try:
        E.stop()
    except Exception:
        pass
    processes.uninstall()
    try:
        from . import output

        output.uninstall()
    except Exception:
        pass
    try:
        from . import lazy

        lazy.remove()
    except Exception:
        pass
    undo_all()
    _state["installed"] = False


# processes.py takes the runtime out of a process started with it turned off (_fk_off) through
# this, so that it does not import bootstrap (which imports it).
processes.uninstall_all[0] = uninstall
