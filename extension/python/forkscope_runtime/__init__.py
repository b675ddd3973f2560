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
