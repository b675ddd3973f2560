"""The undo log: every attribute the runtime replaces goes through `replace`,
which remembers what was there, so `undo_all()` (used by `uninstall()` and the
tests) puts the standard library back exactly as it was.
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
