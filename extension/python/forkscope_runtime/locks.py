"""Locks, semaphores, conditions, events, barriers, shared values, sleep.

`multiprocessing.Lock` is bound at import, and `acquire`/`release` of a
SemLock are C methods set on each instance (`with lock:` goes through
`SemLock.__enter__` to C). So the classes in `multiprocessing.synchronize`
are replaced by subclasses (same module and name, so they pickle the same):
the context factories import them at call time, user-created ones get an
instrumented `acquire`/`__enter__` that first tries a non-blocking acquire (the
uncontended path costs one extra C call) and only times contended waits.
Locks made inside the standard library (a Queue's own locks) stay plain. A
user lock's semaphore name carries a marker, so a spawn child that unpickles
it knows it is a user lock too; under fork the object itself is inherited.

Condition/Event/Barrier waits are recorded as waits; `sharedctypes`
constructors declare `shared` events; `time.sleep` in the main thread is a
`sleep` wait.
"""

from __future__ import annotations

import itertools
import time as _time

from . import emitter as E
from . import sites
from .patching import replace
from .waits import waiting_call

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

MARK = "fk"
_RANDOM_LEN = 8  # multiprocessing names a SemLock "<semprefix>-" + 8 random characters


def _is_marked(name: Any) -> Any:
    """True for the name of a user's lock (_make_name added MARK): a plain random name can end in
    MARK too, so its random part must also be MARK longer than multiprocessing's own."""
    return name.endswith(MARK) and len(name.rsplit("-", 1)[-1]) == _RANDOM_LEN + len(MARK)
_n = itertools.count(1)
_classes = {}
_orig_sleep = _time.sleep


def _new_ref() -> Any:
    return "l%d:%d" % (E.pid, next(_n))


def _lock_ref(sl: Any) -> Any:
    name = getattr(sl, "name", None)
    return "l" + name if name else None


MAX_OPEN_HOLDS = 64  # timed acquisitions waiting for their release, per lock and process


def _make_acquire(sl: Any, ref: Any, what: Any, recursive: Any = False) -> Any:
    """An acquire and a release for one SemLock: acquire counts acquisitions and times contention;
    a sample of the holds (acquire → release) are `hold` events, under the detail budget.

    The uncontended path reads the clock only when the budget has room for a hold (one list
    index otherwise). `held` keeps the acquisition times of the timed holds not yet released,
    with the pid that took them (a fork child inherits the list but not the holds). For an RLock
    only the outermost acquire and the last release make a hold."""
    c_acquire = sl.acquire
    c_release = sl.release
    table = E.locks
    budget = E.budget
    held = []

    def _timed(t: Any) -> None:
        if recursive and sl._count() != 1:
            return
        if len(held) < MAX_OPEN_HOLDS:
            budget[0] -= 1.0
            held.append((t, E.pid))

    def acquire(block: Any = True, timeout: Any = None) -> Any:
        if c_acquire(False):
            c = table.get(ref)
            if c is None:
                table[ref] = [1, 0, 0.0]
            else:
                c[0] += 1
            if budget[0] >= 1.0 and E.enabled:
                _timed(E.time())
            return True
        if not block:
            return False
        t0 = E.time()
        w = E.wait_begin(what, ref, None)
        try:
            got = c_acquire(True, timeout)
        finally:
            E.wait_end(w)
        if got:
            c = table.get(ref)
            if c is None:
                table[ref] = c = [0, 0, 0.0]
            t1 = E.time()
            c[0] += 1
            c[1] += 1
            c[2] += t1 - t0
            if budget[0] >= 1.0 and E.enabled:
                _timed(t1)
        return got

    def release() -> Any:
        if held:
            _release_timed()
        return c_release()

    def _release_timed() -> None:
        try:
            if recursive and sl._count() != 1:
                return
            t, p = held.pop()
            if p == E.pid and E.enabled:
                E.append(["hold", E.time(), ref, t])
        except Exception as e:  # noqa: BLE001
            E.fail("Lock.release", e)

    sites.HIDDEN.add(acquire.__code__)
    sites.HIDDEN.add(release.__code__)
    return acquire, release


def _semlock_class(base: Any, what: Any) -> Any:
    class Instrumented(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            site: Any = None
            if E.enabled:
                try:
                    site = sites.user_site(2)
                    self._fk_user = not site.internal
                except Exception as e:  # noqa: BLE001
                    E.fail("Lock", e)
            base.__init__(self, *args, **kwargs)
            if getattr(self, "_fk_user", None) and E.enabled:
                try:
                    ref = getattr(self, "_fk_ref", None)
                    E.emit(["lock", E.time(), {"ref": ref, "kind": base.__name__, "name": site.name, "file": site.file, "line": site.line}])
                except Exception as e:  # noqa: BLE001
                    E.fail("Lock", e)

        def _make_name(self) -> Any:
            name = base._make_name()
            if getattr(self, "_fk_user", None):
                name += MARK
            return name

        def _make_methods(self) -> None:
            base._make_methods(self)
            if not E.enabled:
                return
            try:
                sl = self._semlock
                user = getattr(self, "_fk_user", None)
                if user is None:  # unpickled in a child: the name says whether it is a user lock
                    name = getattr(sl, "name", None) or ""
                    user = self._fk_user = _is_marked(name)
                if not user:
                    return
                ref = getattr(self, "_fk_ref", None) or _lock_ref(sl) or _new_ref()
                self._fk_ref = ref
                acquire, release = _make_acquire(sl, ref, what, base.__name__ == "RLock")
                self.acquire = self._fk_enter = acquire
                self.release = self._fk_exit = release
            except Exception as e:  # noqa: BLE001
                E.fail("Lock", e)

        # Class defaults, set per instance: the counting acquire of a user's lock, and for a queue's
        # read lock the wait that waiting for it is. (Plain attribute reads: `with` on a queue's
        # read lock runs at every get, and this is about as cheap as the standard __enter__.)
        _fk_enter = None
        _fk_exit = None
        _fk_wait = None
        _fk_before = None  # a pool worker's task-queue read lock: flush before blocking (queues.before_blocking_get)

        @sites.hidden
        def __exit__(self, *args: Any) -> Any:
            r = self._fk_exit
            if r is not None:
                return r()
            return self._semlock.__exit__(*args)

        @sites.hidden
        def __enter__(self) -> Any:
            a = self._fk_enter
            if a is not None:
                return a()
            sl = self._semlock
            if sl.acquire(False):
                return True
            w = self._fk_wait  # a queue's read lock: waiting for it is that queue's wait
            if w is None:
                return sl.__enter__()
            before = self._fk_before
            if before is not None:
                before()
            t = E.msg_wait_begin(w[0], w[1])
            try:
                return sl.__enter__()
            except BaseException as e:
                sites.hide(e)
                raise
            finally:
                E.msg_wait_end(t)

    return _named_like(Instrumented, base)


def _named_like(cls: type, base: type) -> type:
    """An instrumented subclass answers introspection as the class it stands for."""
    cls.__name__ = base.__name__
    cls.__qualname__ = base.__qualname__
    cls.__module__ = base.__module__
    cls.__doc__ = base.__doc__
    return cls


def _own_ref(obj: Any) -> Optional[str]:
    return getattr(obj, "_fk_ref", None)


def _wait_class(base: Any, what: Any) -> Any:
    class Instrumented(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            base.__init__(self, *args, **kwargs)
            if E.enabled:
                try:
                    site = sites.user_site(2)
                    if not site.internal:
                        ref = _new_ref()
                        self._fk_ref = ref
                        E.emit(["lock", E.time(), {"ref": ref, "kind": base.__name__, "name": site.name, "file": site.file, "line": site.line}])
                except Exception as e:  # noqa: BLE001
                    E.fail(base.__name__, e)

        wait = waiting_call(base.wait, what, _own_ref)

    return _named_like(Instrumented, base)


def _make_shared(orig: Callable[..., Any], kind: Any) -> Any:
    def made(obj: Any, typecode_or_type: Any, *args: Any, **kwargs: Any) -> None:
        site = sites.user_site(2)
        if not site.internal:
            import ctypes

            tc = typecode_or_type if isinstance(typecode_or_type, str) else getattr(typecode_or_type, "__name__", str(typecode_or_type))
            raw = obj.get_obj() if hasattr(obj, "get_obj") else obj
            length = None
            if kind in ("Array", "RawArray"):
                length = len(raw)
            lock = kwargs.get("lock", True) if kind in ("Value", "Array") else False
            lockref = None
            if hasattr(obj, "get_lock"):
                lockref = getattr(obj.get_lock(), "_fk_ref", None) or True
            E.emit(["shared", E.time(), {"kind": kind, "typecode": tc, "length": length, "bytes": ctypes.sizeof(raw), "name": site.name, "file": site.file, "line": site.line, "lock": lockref if lock else False}])

    return E.then_record(orig, kind, made)


class _Sleep:
    """Stands in for time.sleep: a `sleep` wait when the main thread calls it. A slotted callable
    (no __dict__, pickles as `time.sleep`) so it behaves like the builtin where type matters
    (xmlrpc marshalling, pickling)."""

    __slots__ = ()
    __module__ = "time"
    __name__ = "sleep"
    __qualname__ = "sleep"
    __doc__ = _orig_sleep.__doc__

    @sites.hidden
    def __call__(self, *args: Any) -> Any:
        w = E.wait_begin("sleep", None, None)
        try:
            return _orig_sleep(*args)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            E.wait_end(w)

    def __reduce__(self) -> Any:
        return "sleep"

    def __repr__(self) -> Any:
        return repr(_orig_sleep)


sleep = _Sleep()


def install() -> None:
    """Wraps time.sleep (the synchronize and sharedctypes patches wait for their imports)."""
    replace(_time, "sleep", sleep)


def _patch_synchronize(synchronize: Any) -> None:
    for name, what in (("Lock", "lock"), ("RLock", "lock"), ("Semaphore", "semaphore"), ("BoundedSemaphore", "semaphore")):
        base = getattr(synchronize, name)
        cls = _semlock_class(base, what)
        _classes[name] = cls
        replace(synchronize, name, cls)
    for name, what in (("Condition", "condition"), ("Event", "event"), ("Barrier", "barrier")):
        base = getattr(synchronize, name)
        cls = _wait_class(base, what)
        _classes[name] = cls
        replace(synchronize, name, cls)


def _patch_sharedctypes(sharedctypes: Any) -> None:
    for kind in ("Value", "Array", "RawValue", "RawArray"):
        replace(sharedctypes, kind, _make_shared(getattr(sharedctypes, kind), kind))
