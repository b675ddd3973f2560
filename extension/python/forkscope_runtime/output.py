"""Each process's own writes to its standard streams, attributed to it.

The write method of the process's original `sys.stdout`/`sys.stderr` objects
(`sys.__stdout__`/`sys.__stderr__`, the ones the terminal gets) is replaced
*on the instance* by a function that calls the real method first and then
notes `(t, stream, text)` in a pending list; at each flush the pending writes
become `["out", t, stream, text]` events, consecutive writes to one stream
joined into one event with the time of its first (a print is two writes, and
a flood of lines would otherwise be one event per write). The stream objects
stay the same objects (identity, `isinstance`, `buffer`, `fileno()`,
encoding, line buffering are untouched) and the bytes reach the terminal
exactly as before: the real write runs first, with the same argument, and
its result or exception is the caller's. Fork children inherit the bound
write; spawn/forkserver children install it with the runtime.

Bounded: at most CAP characters per process are recorded; past the cap one
`outcap` event is sent and the rest is only passed through. Not recorded:
writes made to fd 1/2 directly (C code, os.write, non-Python children),
`sys.stdout.buffer.write`, and text written to a replaced `sys.stdout`
(redirect_stdout to a StringIO never reaches the terminal).
"""

from __future__ import annotations

import sys

from . import emitter as E
from . import sites

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List

CAP = 1024 * 1024  # characters of text recorded per process
_left = [CAP]
_capped = [False]
_installed = []  # (stream object, had its own write before)
# Writes since the last flush, appended by the writing threads and taken by the flusher (_take): a
# `(time, stream)` mark before the first text of a run of writes to one stream, then the texts. Both
# sides use single list operations (append; a slice and a `del` of the same first n items), each
# atomic under the GIL, so a write that lands during a take waits for the next one.
_pending: List[Any] = []
_run: List[Any] = [None, 0.0]  # the stream of the latest mark and its time
_held: List[Any] = [None]  # the unfinished last write a periodic take kept back (the next take sends it)


def _reset() -> None:
    _left[0] = CAP
    _capped[0] = False
    del _pending[:]  # a fork child does not report its parent's writes as its own
    _run[0] = None
    _held[0] = None


def _take(periodic: bool = False) -> None:
    """Before each flush: the pending writes become `out` events, one per run of writes to one
    stream: its text joined, the time of its first write, and, when it is more than one write, each
    write's length and time (`_out`).

    A periodic flush (the flusher thread's) keeps back a last write that does not end a line, once:
    an unbuffered `print` is two writes, its text and then its newline, and a flush that fell
    between them would send the text in one batch and the newline in the next. The output channel
    matches the pipe's bytes against each process's recorded writes, and while one process's newline
    is not recorded yet another's pending newline can be taken for it (two lines run together). Kept
    back, the text goes with its newline in the next flush, or alone then if no more came."""
    n = len(_pending)
    if not n:
        return
    items = _pending[:n]
    last = items[-1]
    held = None
    if periodic and last.__class__ is not tuple and last.__class__ is not float and last[-1:] != "\n" and last is not _held[0]:
        held = last
        items.pop()
    _held[0] = held
    del _pending[:n]
    # Text before the first mark (a write that raced a take) continues the latest run.
    stream, t = _run[0] or "stdout", _run[1]
    parts: List[str] = []
    times: List[float] = []
    wt = t  # the time of the write read next (a held write's, after the loop)
    for it in items:
        cls = it.__class__
        if cls is tuple:
            if parts:
                _out(t, stream, parts, times)
                parts = []
                times = []
            t, stream = it
            wt = t
        elif cls is float:
            wt = it
        else:
            parts.append(it)
            times.append(wt)
    if parts:
        _out(t, stream, parts, times)
    if held is not None:
        # Back in front of what was written meanwhile, as a run of its own (its stream and time).
        _pending[0:0] = [(wt, stream), held]


def _out(t: float, stream: str, parts: List[str], times: List[float]) -> None:
    """One `out` event: a run's text; with more than one write, `[length, µs after t, …]` of each."""
    if len(parts) == 1:
        E.append(["out", t, stream, parts[0]])
        return
    writes: List[int] = []
    for s, wt in zip(parts, times):
        writes.append(len(s))
        writes.append(int((wt - t) * 1e6 + 0.5))
    E.append(["out", t, stream, "".join(parts), writes])


def _make_write(orig: Callable[..., Any], stream: Any) -> Any:
    note = _pending.append
    pending = _pending
    run = _run
    time = E.time
    paused = E.paused
    wake = E.wake

    def write(s: Any) -> Any:
        try:
            n = orig(s)
        except BaseException as e:
            sites.hide(e)
            raise
        if E.enabled and s:
            try:
                left = _left[0]
                if left > 0:
                    k = len(s)
                    if k > left:
                        s = s[:left]
                        k = left
                    _left[0] = left - k
                    t = time()
                    if run[0] is not stream or not pending:  # a new run: mark its stream and time
                        run[0] = stream
                        run[1] = t
                        note((t, stream))
                        if paused[0]:  # a resting flusher sends it now
                            wake[0]()
                    else:  # the next write of the run, and its time
                        note(t)
                    note(s)
                elif not _capped[0]:
                    _capped[0] = True
                    E.append(["outcap", time(), CAP])
            except Exception as e:  # noqa: BLE001
                E.fail("output", e)
        return n

    sites.HIDDEN.add(write.__code__)
    return write


def install() -> None:
    """Binds the recording write on this process's original standard streams."""
    if _installed:
        return
    E.on_reset.append(_reset)
    E.before_flush.append(_take)
    for name, stream in (("__stdout__", "stdout"), ("__stderr__", "stderr")):
        obj = getattr(sys, name, None)
        if obj is None:
            continue
        try:
            d = obj.__dict__
        except AttributeError:
            continue
        own = d.get("write")
        orig = own if own is not None else obj.write
        try:
            obj.write = _make_write(orig, stream)
        except (AttributeError, TypeError):
            continue
        _installed.append((obj, own))


def uninstall() -> None:
    """Puts the streams' own write back."""
    while _installed:
        obj, own = _installed.pop()
        try:
            if own is None:
                del obj.__dict__["write"]
            else:
                obj.write = own
        except Exception:
            pass
    _take()
    try:
        E.on_reset.remove(_reset)
    except ValueError:
        pass
    try:
        E.before_flush.remove(_take)
    except ValueError:
        pass
