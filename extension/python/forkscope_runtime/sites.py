"""Where user code made something, and keeping the runtime out of tracebacks.

`user_site()` walks the caller's frames past the runtime and multiprocessing
(and concurrent.futures) to the user's line, reads it with linecache and takes
the assignment target as the object's name (`tasks = mp.Queue()` -> "tasks",
`with Manager() as m:` -> "m"). It runs at creation time only. It also says
whether the object was made *inside* the standard library (a Queue's own
locks, a Pool's queues), which the runtime does not report as user objects.

`hide(exc)` drops a wrapper's own frame from an exception passing through it
(Python 3.11+ re-raises the traceback stored on the exception); on 3.9/3.10
the frames of registered wrappers are cut out when a traceback is printed
(`sys.excepthook`, `traceback.walk_tb`), so users see plain Python's frames.
"""

import os
import re
import sys

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LAUNCHER = os.path.join(os.path.dirname(_HERE.rstrip(os.sep)), "forkscope_launch.py")
_STDLIB_DIRS = ()
_CONTEXT_FILES = ()
_LIB = None
_THIRD_PARTY = ()

_ASSIGN = re.compile(r"^\s*(?:async\s+)?(?:with\b.*?\bas\s+(?P<with>[A-Za-z_][\w.]*)|(?P<lhs>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*(?::[^=]+)?=(?!=))")

NEW_RERAISE = sys.version_info >= (3, 11)
HIDDEN = set()  # code objects of wrappers that must not show in tracebacks


def init():
    """Learns where multiprocessing and concurrent.futures live, without importing them."""
    global _STDLIB_DIRS, _CONTEXT_FILES, _LIB, _THIRD_PARTY
    lib = os.path.dirname(os.path.abspath(os.__file__))
    _LIB = lib + os.sep
    _THIRD_PARTY = (_LIB + "site-packages" + os.sep, _LIB + "dist-packages" + os.sep)
    mp = os.path.join(lib, "multiprocessing") + os.sep
    _STDLIB_DIRS = (mp, os.path.join(lib, "concurrent", "futures") + os.sep)
    _CONTEXT_FILES = (mp + "context.py",)


def _is_runtime(filename):
    return filename.startswith(_HERE) or filename == _LAUNCHER


def user_site(skip=2):
    """(file, line, name, internal) of the first frame outside the runtime and context.py.

    `internal` is True when that frame is inside multiprocessing or concurrent.futures."""
    try:
        f = sys._getframe(skip)
    except ValueError:
        return None, None, None, True
    while f is not None:
        fn = f.f_code.co_filename
        if _is_runtime(fn) or fn in _CONTEXT_FILES:
            f = f.f_back
            continue
        break
    if f is None:
        return None, None, None, True
    fn = f.f_code.co_filename
    for d in _STDLIB_DIRS:
        if fn.startswith(d):
            return fn, f.f_lineno, None, True
    line = f.f_lineno
    return fn, line, _name_at(fn, line, f.f_globals), False


def wait_site(frame):
    """(file, line) of the innermost user frame of a blocked stack (the join()/get() call), else (None, None).

    Called by the flusher thread for a wait that has lasted (emitter._check_wait_site), never on a
    hot path: it skips the runtime, the standard library and frozen modules."""
    f = frame
    depth = 0
    while f is not None and depth < 64:
        fn = f.f_code.co_filename
        if not (_is_runtime(fn) or fn.startswith("<") or (_LIB is not None and fn.startswith(_LIB) and not fn.startswith(_THIRD_PARTY))):
            return fn, f.f_lineno
        f = f.f_back
        depth += 1
    return None, None


def _name_at(filename, lineno, module_globals=None):
    """The assignment target (or `with ... as` name) on a source line, else None."""
    try:
        import linecache  # on first use: most processes never create anything

        text = linecache.getline(filename, lineno, module_globals)
    except Exception:
        return None
    m = _ASSIGN.match(text) if text else None
    if not m:
        return None
    if m.group("with"):
        return m.group("with")
    lhs = m.group("lhs")
    return lhs.split(",")[0].strip() if lhs else None


def code_site(func):
    """(target "module.qualname", file, line) of a callable, as far as it can be told."""
    f = func
    for _ in range(3):
        inner = getattr(f, "func", None)  # functools.partial
        if inner is None:
            break
        f = inner
    f = getattr(f, "__func__", f)
    f = getattr(f, "__wrapped__", f)
    mod = getattr(f, "__module__", None)
    qual = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if qual is None:
        qual = type(f).__qualname__
        mod = type(f).__module__
    code = getattr(f, "__code__", None)
    target = "%s.%s" % (mod, qual) if mod else str(qual)
    if code is None:
        return target, None, None
    return target, code.co_filename, code.co_firstlineno


# ---- tracebacks ---------------------------------------------------------------------------


def hidden(func):
    """Registers a wrapper whose frame must not appear in user tracebacks; returns it."""
    HIDDEN.add(func.__code__)
    return func


def hide(exc):
    """Called in a wrapper's `except`: drop the wrapper's frame before a bare `raise` (3.11+)."""
    if NEW_RERAISE:
        try:
            tb = exc.__traceback__
            if tb is not None and tb.tb_frame.f_code in HIDDEN:
                exc.__traceback__ = tb.tb_next
        except Exception:
            pass


def splice(tb):
    """Cuts frames of hidden wrappers (and leading launcher/runpy frames) out of a traceback chain."""
    while tb is not None and tb.tb_frame.f_code in HIDDEN:
        tb = tb.tb_next
    head = tb
    prev = head
    while prev is not None:
        nxt = prev.tb_next
        while nxt is not None and nxt.tb_frame.f_code in HIDDEN:
            nxt = nxt.tb_next
        if prev.tb_next is not nxt:
            try:
                prev.tb_next = nxt
            except Exception:
                pass
        prev = nxt
    return head


def _splice_exc(exc, seen):
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            tb = exc.__traceback__
            new = splice(tb)
            if new is not tb:
                exc.__traceback__ = new
            _splice_exc(exc.__cause__, seen)
        except Exception:
            return
        exc = exc.__context__
