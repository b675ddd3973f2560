"""Queue, JoinableQueue and SimpleQueue: their own counting recv_bytes, their waits (get, a timed
get's poll, the read lock, a bounded put), the feeder's counting pickler, and declaring them."""

from __future__ import annotations

import operator
import select
import weakref

from . import emitter as E
from . import sites
from .patching import replace
from .pipes import _plain_send_bytes
from .trailer import MAGIC_INT, QUIET, RAW_TRAILER, TLEN, UNTIMED_INT, _make_pickler, count_received, declare, inode_ref, sent_table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List

_SEM_MAX: Any = None  # SemLock.SEM_VALUE_MAX, known once queues is patched


def pipe_ref(q: Any) -> Any:
    """The ref of a queue's pipe from whichever end is still open here (both share one inode)."""
    try:
        return inode_ref(q._reader.fileno())
    except OSError:
        return inode_ref(q._writer.fileno())


def queue_ref(q: Any) -> Any:
    """A Queue's or SimpleQueue's channel ref, cached on the object (not pickled: explicit getstate)."""
    r = getattr(q, "_fk_ref", None)
    if r is None:
        r = q._fk_ref = pipe_ref(q)
    return r


sq_ref = queue_ref


class _Tails(dict):
    """A queue's receive counters by the first 8 bytes of an untimed trailer (its magic and the
    sender pid): one slice and one lookup count a message. Weakly listed, to be emptied after fork
    (the counters it holds are the parent's)."""

    __slots__ = ("__weakref__",)


_tails = {}  # id -> weakref of every queue's _Tails in this process


def _clear_tails() -> None:
    for r in list(_tails.values()):
        t = r()
        if t is not None:
            t.clear()


def _keep_tails(t: Any) -> None:
    k = id(t)
    _tails[k] = weakref.ref(t, lambda _r, k=k: _tails.pop(k, None))


E.on_reset.append(_clear_tails)
_tail = operator.itemgetter(slice(-TLEN, -TLEN + 8))
MAX_TAILS = 4096  # senders remembered per queue (beyond: counted through the slow path)


def _make_rx(ref: Any, reader: Any) -> Any:
    """The recv_bytes a queue's get calls, in one frame: the reader's own recv_bytes, then the
    count of the trailed message it returns under the queue's ref.

    Per message, on the hot path: the `queue.get` wait countdown (the main thread's calls are
    timed one in up to 64 under a flood: emitter.msg_wait_timed), the call, and the count of an
    untimed message (a slice of its trailer and a lookup). A timed message (its sender sampled it)
    goes the slow way: latency, detail. An untimed call does not mark the main thread as waiting:
    the flusher finds it blocked from its stack (waits._check_rx_wait) and emits the wait; the
    call ends it (rx_claim).

    A Queue keeps it as `_recv_bytes`; a SimpleQueue's get calls `self._reader.recv_bytes()`, so
    there it is set on the reader itself. Either way it holds the reader weakly: no
    reference cycle, so the descriptor closes when the reader is dropped, as without Forkscope."""
    sampled = E.rx_sampled
    unpack = RAW_TRAILER.unpack_from
    magic = MAGIC_INT
    umagic = UNTIMED_INT
    tl = TLEN
    wskip = E.wait_skip
    claim = E.rx_claim
    end_claim = E.end_rx_claim
    timed = E.msg_wait_timed
    end = E.msg_wait_end
    fn = type(reader).recv_bytes
    reader_of = weakref.ref(reader)
    tails = _Tails()
    _keep_tails(tails)
    tail = _tail
    tails_get = tails.get

    def slow(b: Any) -> None:
        """A message whose trailer is not in `tails` yet, a timed one, or one without a trailer."""
        n = len(b) - tl
        if n < 0:
            return
        m, frm, ts = unpack(b, n)
        if m != umagic and m != magic:
            return
        c = count_received(ref, frm, n)
        if m == magic:
            r = reader_of()
            sampled(c, ref, frm, ts, n, getattr(r, "_fk_tag", None) if r is not None else None)
        elif len(tails) < MAX_TAILS:
            tails[b[n : n + 8]] = c

    @sites.hidden
    def recv_bytes(maxlength: Any = None) -> Any:
        w = None
        k = wskip[0]
        if k:
            wskip[0] = k - 1
        else:
            w = timed("queue.get", ref)
        try:
            b = fn(reader_of(), maxlength)
        except BaseException as e:
            if w is not None:
                end(w)
            elif claim[0] is not None:
                end_claim()
            sites.hide(e)
            raise
        if w is not None:
            end(w)
        elif claim[0] is not None:
            end_claim()
        c = tails_get(tail(b))
        if c is None:
            slow(b)
        else:
            c[0] += 1
            c[1] += len(b) - tl
        return b

    E.RX_CODES.add(recv_bytes.__code__)
    return recv_bytes


def _make_poll_wait(ref: Any, reader: Any) -> Any:
    """A Queue's `_poll`: `get(timeout=…)` waits there, a `queue.get` wait; `empty()` and
    non-blocking gets (no timeout) go straight through."""
    fn = type(reader).poll
    reader_of = weakref.ref(reader)
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def poll(timeout: Any = 0.0) -> Any:
        if not timeout:
            return fn(reader_of(), timeout)
        w = begin("queue.get", ref)
        try:
            return fn(reader_of(), timeout)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            end(w)

    return poll


def _waiting_acquire(sync: Any, what: Any, ref: Any) -> None:
    """Sets a per-object acquire on a SemLock-based `sync` (a queue's semaphore or read lock) that
    reports a blocking acquire as a `what` wait on channel `ref`; a non-blocking try comes first,
    so an acquire that does not wait costs one extra C call."""
    c_acquire = sync._semlock.acquire
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def acquire(block: Any = True, timeout: Any = None) -> Any:
        if c_acquire(False):
            return True
        if not block:
            return False
        before = getattr(sync, "_fk_before", None)
        if before is not None:
            before()
        w = begin(what, ref)
        try:
            return c_acquire(True, timeout)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            end(w)

    sync.acquire = acquire


def before_blocking_get(q: Any, pending: Callable[[], bool], flush: Callable[[], None]) -> None:
    """Runs `flush()` before a get of `q` blocks while `pending()`: when another reader holds its
    read lock, or when there is nothing to read (checked while holding that lock, so no other
    reader takes the message in between). A pool worker sends what it did there: one that waits
    for its next task may be killed at its pool's end at any moment."""
    poller = select.poll()
    poller.register(q._reader.fileno(), select.POLLIN)

    def before() -> None:
        if pending():
            flush()

    def read_after(fn: Callable[..., Any]) -> Callable[..., Any]:
        @sites.hidden
        def read(*args: Any, **kwargs: Any) -> Any:
            if pending() and not poller.poll(0):
                flush()
            try:
                return fn(*args, **kwargs)
            except BaseException as e:
                sites.hide(e)
                raise

        return read

    q._rlock._fk_before = before  # a contended `with` (locks.py) or timed acquire (_waiting_acquire)
    if hasattr(q, "_recv_bytes"):  # a Queue: get() reads in _recv_bytes, get(timeout=…) waits in _poll
        q._recv_bytes = read_after(q._recv_bytes)
        q._poll = read_after(q._poll)
    else:  # a SimpleQueue reads through its reader
        q._reader.recv_bytes = read_after(q._reader.recv_bytes)


def _instrument_put_wait(q: Any, ref: Any) -> None:
    """A bounded queue's put waits in its semaphore's acquire: that is a `queue.put` wait."""
    _waiting_acquire(q._sem, "queue.put", ref)


def _instrument_get_lock(q: Any, ref: Any) -> None:
    """Waiting for a queue's read lock (another reader holds it) is a `queue.get` wait too: the
    lock's `with` (locks.py) reports a contended acquire as this wait; a timed get's acquire
    gets the same per-queue wrapper as a bounded put's semaphore."""
    q._rlock._fk_wait = ("queue.get", ref)
    _waiting_acquire(q._rlock, "queue.get", ref)



def _drop(obj: Any, name: str) -> None:
    """Removes an attribute set on the object itself (the class's stays)."""
    try:
        delattr(obj, name)
    except AttributeError:
        pass


_queues_pickler: List[Any] = [None]  # queues.ForkingPickler as the standard library has it


def _feed_body(orig: Callable[..., Any], ref: Any) -> Any:
    """The standard library's `_feed`, the same code (its frames and tracebacks are unchanged), run
    with its module's globals but for `_ForkingPickler`: a pickler that counts under `ref`."""
    import types

    table = sent_table
    c = table.get(ref)
    if c is None:
        c = table[ref] = [0, 0]
    g = dict(orig.__globals__)
    g["_ForkingPickler"] = _make_pickler(_queues_pickler[0], False, c)
    return types.FunctionType(orig.__code__, g, orig.__name__, orig.__defaults__, orig.__closure__)


def _make_feed(orig: Callable[..., Any]) -> Any:
    """Queue._feed (the feeder thread's body): runs with a pickler that counts the queue's messages
    (_feed_body), and gives its writer the plain `_send_bytes` while it runs: the send hook would
    only skip it (the feeder's pickler counts), but even that runs inside the queue's write lock."""

    def _feed(*args: Any) -> Any:
        writer = None
        body = orig
        try:
            writer = args[2].__self__  # args[2]: the writer's send_bytes
            ref = getattr(writer, "_fk_qref", None)
            if ref is not None and E.enabled and _queues_pickler[0] is not None:
                body = _feed_body(orig, ref)
                if _plain_send_bytes[0] is not None:
                    writer._send_bytes = _plain_send_bytes[0].__get__(writer)
            else:
                writer = None
        except Exception as e:  # noqa: BLE001
            writer = None
            body = orig
            E.fail("Queue._feed", e)
        try:
            return body(*args)
        finally:
            if writer is not None:
                _drop(writer, "_send_bytes")  # (a bound method there refers back to the writer)

    return staticmethod(_feed)


def _make_qreset(orig: Callable[..., Any]) -> Any:
    def _reset(self, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = pipe_ref(self)
                self._fk_ref = ref
                reader = self._reader
                reader._fk_ref = ref
                w = self._writer
                w._fk_qref = ref  # its feeder's dumps counts what it sends (_make_feed)
                w._fk_ref = QUIET
                _drop(w, "_send_bytes")  # after fork: the parent's feeder is not running here
                self._recv_bytes = _make_rx(ref, reader)
                self._poll = _make_poll_wait(ref, reader)
                _instrument_get_lock(self, ref)
                if self._maxsize < _SEM_MAX:
                    _instrument_put_wait(self, ref)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue._reset", e)

    return _reset


def _make_qinit(orig: Callable[..., Any], kind: Any) -> Any:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        if E.enabled and not getattr(self, "_fk_declared", False):
            try:
                site = sites.user_site(2)
                if not site.internal:
                    self._fk_declared = True
                    ref = queue_ref(self)
                    declare(kind, ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue", e)

    return __init__


def _sq_ready(q: Any) -> Any:
    """Gives a SimpleQueue (made here or unpickled) its counting recv_bytes and the `queue.get`
    wait of its read lock; returns its ref."""
    ref = queue_ref(q)
    reader = q._reader
    reader.recv_bytes = _make_rx(ref, reader)
    q._rlock._fk_wait = ("queue.get", ref)
    return ref


def _make_sqinit(orig: Callable[..., Any]) -> Any:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = _sq_ready(self)
                site = sites.user_site(2)
                if not site.internal:
                    declare("simplequeue", ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __init__


def _make_sqsetstate(orig: Callable[..., Any]) -> Any:
    def __setstate__(self, state: Any) -> None:
        orig(self, state)
        if E.enabled:
            try:
                _sq_ready(self)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __setstate__



def _patch_queues(queues: Any) -> None:
    global _SEM_MAX
    import _multiprocessing

    _SEM_MAX = _multiprocessing.SemLock.SEM_VALUE_MAX
    # Queues read their messages through their own recv_bytes (_make_rx): their loads is plain.
    _queues_pickler[0] = queues._ForkingPickler
    replace(queues, "_ForkingPickler", _make_pickler(queues._ForkingPickler, False))
    Q = queues.Queue
    replace(Q, "_reset", _make_qreset(Q._reset))
    replace(Q, "__init__", _make_qinit(Q.__init__, "queue"))
    replace(Q, "_feed", _make_feed(Q.__dict__["_feed"].__func__))
    JQ = queues.JoinableQueue
    replace(JQ, "__init__", _make_qinit(JQ.__init__, "joinablequeue"))
    SQ = queues.SimpleQueue
    replace(SQ, "__init__", _make_sqinit(SQ.__init__))
    replace(SQ, "__setstate__", _make_sqsetstate(SQ.__setstate__))
