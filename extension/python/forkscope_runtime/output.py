"""Each process's own writes to its standard streams, attributed to it.

The write method of the process's original `sys.stdout`/`sys.stderr` objects
(`sys.__stdout__`/`sys.__stderr__`, the ones the terminal gets) is replaced
*on the instance* by a function that calls the real method first and then
appends `["out", t, stream, text]` to the event buffer. The stream objects
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
    from typing import Any, Callable

CAP = 1024 * 1024  # characters of text recorded per process
_left = [CAP]
_capped = [False]
_installed = []  # (stream object, had its own write before)


def _reset() -> None:
    _left[0] = CAP
    _capped[0] = False


def _make_write(orig: Callable[..., Any], stream: Any) -> Any:
    append = E.append
    time = E.time

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
                    append(["out", time(), stream, str(s)])
                elif not _capped[0]:
                    _capped[0] = True
                    append(["outcap", time(), CAP])
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
    try:
        E.on_reset.remove(_reset)
    except ValueError:
        pass
