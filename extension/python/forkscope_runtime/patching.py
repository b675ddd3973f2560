"""The undo log: every attribute the runtime replaces goes through `replace`,
which remembers what was there, so `undo_all()` (used by `uninstall()` and the
tests) puts the standard library back exactly as it was.

What the runtime notes on one of the script's objects (a queue's ref, a
connection's tag, a lock's wait, a pool's ref) is a plain attribute of it:
set as `obj._fk_x = v`, read as `getattr(obj, "_fk_x", None)` or through a
class default (Connection's, pipes.CONN_ATTRS), removed with `delattr`. Never
through `obj.__dict__` or `vars(obj)`: since 3.11 an instance keeps its
attributes inline until something asks for its `__dict__`, and from then on
they live in a dict for the object's life, so every attribute access the
standard library makes on it is slower (a Queue.get 0.14 µs on 3.11, 0.21 µs
on 3.12: in a message flood, a third of what Forkscope added per message).
test_fidelity's ObjectLayoutTest checks that the script's objects are stored
as in the plain run.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_MISSING = object()
_FunctionType = type(lambda: None)
_log = []  # (obj, name, old value or _MISSING)


def original(obj: Any, name: Any) -> Any:
    """The attribute as it was before the runtime replaced it (or as it is now)."""
    for o, n, old in reversed(_log):
        if o is obj and n == name:
            return None if old is _MISSING else old
    return getattr(obj, name)


def replace(obj: Any, name: Any, value: Any) -> Any:
    """Sets obj.name = value, recording the previous value for undo; returns the previous (effective) value."""
    prev = getattr(obj, name, None)
    old = obj.__dict__.get(name, _MISSING) if isinstance(obj, type) else getattr(obj, name, _MISSING)
    _look_like(value, prev)
    _log.append((obj, name, old))
    setattr(obj, name, value)
    return prev


def _look_like(wrapper: Any, orig: Any) -> None:
    """A wrapper function answers introspection like the function it replaces (name, docstring,
    signature through __wrapped__); its __module__ still says it is Forkscope's."""
    if not (isinstance(wrapper, _FunctionType) and isinstance(orig, _FunctionType)) or wrapper is orig:
        return
    try:
        wrapper.__name__ = orig.__name__
        wrapper.__qualname__ = orig.__qualname__
        if wrapper.__doc__ is None:
            wrapper.__doc__ = orig.__doc__
        wrapper.__dict__.setdefault("__wrapped__", orig)
    except Exception:
        pass


def undo_all() -> None:
    """Restores every replaced attribute, newest first."""
    while _log:
        obj, name, old = _log.pop()
        try:
            if old is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, old)
        except Exception:
            pass
