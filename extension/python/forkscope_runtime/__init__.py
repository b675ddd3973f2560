"""Forkscope's Python runtime: records a `multiprocessing` run for the
Forkscope supervisor (docs/runtime-protocol.md). Standard library only.

Modules, one concern each:
  config     FORKSCOPE_RUNTIME, parsed once
  json_c     JSON in and out through `_json`, without the cost of importing `json`
  emitter    the recording API the rest imports as E (re-exports events, waits, transport)
  events     the event buffer, counters, detail budget, hook failures
  waits      the main thread's waits; the flusher's lazy waits and stuck detection
  transport  batching, the flusher thread, the Unix socket
  sites      the user's creating line (names, `Site`), hiding wrapper frames
  patching   the undo log behind uninstall()
  lazy       patch a standard-library module when it is first imported
  processes  lifecycle: start/bootstrap/join/poll, fork and spawn following
  channels   message traffic (the names bootstrap hooks), made of:
    trailer  the sender trailer, its pickler, counting received messages, channel refs
    pipes    Connection/Pipe: the send hook, recv and its wait, declaring pipes
    queues   Queue/JoinableQueue/SimpleQueue: counting gets, their waits, the feeder
  locks      synchronize primitives, shared ctypes, time.sleep
  pools      Pool and ProcessPoolExecutor tasks and calls
  managers   Manager proxy calls and the server
  children   Python children started outside multiprocessing (subprocess, exec, spawn)
  output     the output of each process, attributed
  joblib_support  joblib and loky
  dask_support    dask.distributed clients: the scheduler plugin (dask_plugin.py, sent by value)
  bootstrap  install / uninstall in a process
  warm       the `forkscope` command's warm start (the launcher calls it in the main process)

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
