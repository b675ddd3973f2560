"""Forkscope's Python runtime: records a `multiprocessing` run for the
Forkscope supervisor (docs/runtime-protocol.md). Standard library only.

Modules, one concern each:
  config     FORKSCOPE_RUNTIME, parsed once
  emitter    event buffer, counters, lazy waits, flusher thread, socket
  sites      the user's creating line (names), hiding wrapper frames
  patching   the undo log behind uninstall()
  lazy       patch a standard-library module when it is first imported
  processes  lifecycle: start/bootstrap/join/poll, fork and spawn following
  channels   Connection/Pipe/Queue/SimpleQueue traffic with sender trailers
  locks      synchronize primitives, shared ctypes, time.sleep
  pools      Pool and ProcessPoolExecutor tasks and calls
  managers   Manager proxy calls and the server
  bootstrap  install / uninstall in a process

Importing the package installs nothing; `bootstrap.install_main()` (the
launcher) and `bootstrap.install_spawned()` (children) do.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _cache_own_bytecode() -> None:
    """The runtime's own modules keep their bytecode in its own __pycache__ even when the user's
    environment says not to write bytecode (PYTHONDONTWRITEBYTECODE, `python -B`, common in
    containers): that setting is about the user's files, and compiling the runtime from source
    costs every process that loads it about 25 ms. Only this package's directory gets the caching
    loader (a finder of its own in sys.path_importer_cache); the flag is lifted while one of its
    files is compiled and written, and put back at once."""
    import sys
    from importlib import machinery

    class _Loader(machinery.SourceFileLoader):
        def get_code(self, fullname: Any) -> Any:
            dont = sys.dont_write_bytecode
            sys.dont_write_bytecode = False
            try:
                return super().get_code(fullname)
            finally:
                sys.dont_write_bytecode = dont

    d = __path__[0]
    sys.path_importer_cache[d] = machinery.FileFinder(d, (_Loader, machinery.SOURCE_SUFFIXES), (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES))


try:
    _cache_own_bytecode()
except Exception:  # the runtime works the same without it, only slower to load
    pass
