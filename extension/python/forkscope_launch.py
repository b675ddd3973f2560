"""Forkscope launcher: `python forkscope_launch.py SCRIPT [ARGS...]` or
`python forkscope_launch.py -m MODULE [ARGS...]` (docs/runtime-protocol.md).

Installs the runtime when FORKSCOPE_RUNTIME is set, then runs the script the
way plain `python SCRIPT` / `python -m MODULE` would: a fresh `__main__`
module kept in sys.modules, the same `__file__`, `sys.argv` and `sys.path[0]`,
the same exit code, and tracebacks without this launcher's frames.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

_LAUNCHER = os.path.abspath(__file__)


def _usage() -> None:
    sys.stderr.write("usage: forkscope_launch.py SCRIPT [ARGS...] | -m MODULE [ARGS...]\n")
    raise SystemExit(2)


def _restore_signals() -> None:
    """Started in the background by the `forkscope` shell launcher (Python first, the supervisor
    beside it), this process began with SIGINT and SIGQUIT ignored, as POSIX has every background
    job of a non-interactive shell begin. The launcher names the ones the terminal's command did
    not ignore itself: they get back what a plain `python` has (Ctrl-C raises KeyboardInterrupt)."""
    names = os.environ.pop("FORKSCOPE_RESTORE_SIGNALS", "")
    if not names:
        return
    # `_signal` is loaded at every start already; `signal` would cost a millisecond more (its enums).
    import _signal  # pyright: ignore[reportMissingImports] - no stubs for the C module

    for name in names.split(","):
        if name == "SIGINT" and _signal.getsignal(_signal.SIGINT) == _signal.SIG_IGN:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        elif name == "SIGQUIT" and _signal.getsignal(_signal.SIGQUIT) == _signal.SIG_IGN:
            _signal.signal(_signal.SIGQUIT, _signal.SIG_DFL)


def _prepare() -> Any:
    """Sets argv/path like plain Python; installs the runtime; returns (mode, target)."""
    args = sys.argv[1:]
    if not args:
        _usage()
    if args[0] == "-m":
        if len(args) < 2:
            _usage()
        mode, target, rest = "module", args[1], args[2:]
        sys.argv = ["-m"] + rest
        path0 = os.getcwd()
    else:
        mode, target, rest = "script", args[0], args[1:]
        sys.argv = [target] + rest
        path0 = os.path.dirname(os.path.realpath(target))
    runtime = None
    if os.environ.get("FORKSCOPE_RUNTIME"):
        try:
            import forkscope_runtime.bootstrap as runtime

            if not runtime.install_main():
                runtime = None
        except Exception:
            runtime = None
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(_LAUNCHER):
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)
    if mode == "script" and (os.path.isdir(target) or _is_zip(target)):
        sys.path[0] = target
        mode = "package"
    return mode, target, runtime


def _is_zip(path: Any) -> Any:
    """Whether `python PATH` runs PATH as a zip application (a .pyz, any prefix before the archive
    allowed): as Python's own start decides it, by the zipimport path hook. zipimport is loaded at
    every start already; zipfile would cost a clean interpreter 6-12 ms to import."""
    try:
        import zipimport

        zipimport.zipimporter(path)
        return True
    except Exception:
        return False


def _fresh_main(path: Any) -> Any:
    # (`type(sys)` is types.ModuleType, and the loader's class is the one importlib.machinery re-exports:
    # a clean interpreter has not imported `types` or `importlib` when it starts a script, ~1 ms.)
    main = type(sys)("__main__")
    main.__annotations__ = {}
    main.__builtins__ = __builtins__  # pyright: ignore[reportAttributeAccessIssue]
    if path is not None:
        SourceFileLoader = sys.modules["_frozen_importlib_external"].SourceFileLoader

        main.__file__ = path
        main.__cached__ = None  # pyright: ignore[reportAttributeAccessIssue]
        main.__loader__ = SourceFileLoader("__main__", path)
    else:
        main.__loader__ = None
    main.__spec__ = None
    main.__package__ = None
    sys.modules["__main__"] = main
    return main


def _cannot_open(target: Any, e: Any) -> NoReturn:
    prog = getattr(sys, "orig_argv", [sys.executable])[0]
    sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (prog, os.path.abspath(target), e.errno, e.strerror))
    raise SystemExit(2)


def _compile_script(target: Any) -> Any:
    path = os.path.abspath(target)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        _cannot_open(target, e)
    return path, source


def _strip(tb: Any) -> Any:
    """Drops this launcher's leading frames from a traceback."""
    while tb is not None and tb.tb_frame.f_code.co_filename == _LAUNCHER:
        tb = tb.tb_next
    return tb


def _exit_code(e: Any) -> Any:
    if isinstance(e, SystemExit):
        c = e.code
        if c is None:
            return 0
        return c if isinstance(c, int) else 1
    if isinstance(e, KeyboardInterrupt):
        return -2
    return 1


def _old_python_hook(runtime: Any) -> None:
    """Python < 3.11 re-raises the traceback it saved, so the printing hook drops our frames."""
    previous = sys.excepthook

    def excepthook(t: Any, v: Any, tb: Any) -> Any:
        tb = _strip(tb)
        if runtime is not None:
            try:
                from forkscope_runtime import sites

                tb = sites.splice(tb)
            except Exception:
                pass
        try:
            v.__traceback__ = tb  # the default hook prints the exception's own traceback
        except Exception:
            pass
        return previous(t, v, tb)

    sys.excepthook = excepthook


_warm = None
if os.environ.get("FORKSCOPE_WARM_START"):
    # The `forkscope` command's warm start: the run is handed to this user's warm supervisor
    # (forkscope_runtime/warm.py); sys.argv loses Forkscope's own words.
    import forkscope_runtime.warm as _warm

    _warm.start(os.environ.pop("FORKSCOPE_WARM_START"))
_restore_signals()
_mode, _target, _runtime = _prepare()
if _warm is not None:
    _warm.hold_exit()
try:
    if _mode == "script":
        _path, _source = _compile_script(_target)
        _main = _fresh_main(_path)
        del _path
        exec(compile(_source, _main.__file__, "exec", dont_inherit=True), _main.__dict__)
    else:
        import runpy

        _fresh_main(None)
        _run_as_main = runpy._run_module_as_main  # pyright: ignore[reportAttributeAccessIssue] - private, in every version
        _run_as_main(_target if _mode == "module" else "__main__", alter_argv=_mode == "module")
except BaseException as _e:
    if _runtime is not None:
        _runtime.set_main_exit(_exit_code(_e), _e)
    if _warm is not None and not isinstance(_e, KeyboardInterrupt):
        _warm.note_exit(_exit_code(_e))
    if not isinstance(_e, SystemExit):
        _e.__traceback__ = _strip(_e.__traceback__)
        if sys.version_info < (3, 11):
            _old_python_hook(_runtime)
    del _e
    raise
else:
    if _runtime is not None:
        _runtime.set_main_exit(0)
    if _warm is not None:
        _warm.note_exit(0)
