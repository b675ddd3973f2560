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

    A SimpleQueue's get calls `self._reader.recv_bytes()`, so there it is set on the reader itself;
    a Queue keeps it as `_recv_bytes` only where its get could not be recompiled (_inline_get).
    Either way it holds the reader weakly: no reference cycle, so the descriptor closes when the
    reader is dropped, as without Forkscope."""
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
        _count_untailed(ref, tails, reader_of(), b)

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


# ---- Queue.get with the count written in --------------------------------------------------------
#
# A Queue's get is the standard library's own function recompiled with the receive count written in
# after each `res = self._recv_bytes()` (_inline_get): no frame of the runtime's per message, where
# a wrapper around `_recv_bytes` cost a call (0.3 µs a message on 3.11, a sixth of what Forkscope
# added to the receiving end of a flood). `_recv_bytes` stays the reader's own. Per message: the
# `queue.get` wait countdown (the main thread's calls are timed one in up to 64 under a flood:
# emitter.msg_wait_timed, through `Queue._fk_rx_timed`), the call, the end of an untimed wait the
# flusher found blocked (waits._check_rx_wait), and the count: a slice of the trailer and a lookup
# in the queue's `_fk_tails`; a message not found there goes the slow way (_count_slow). Its `with
# self._rlock:` takes `self._fk_rl` (_read_lock): the lock's C semaphore, so no Python frame enters
# or leaves the lock (the standard library's get pays two there); a get waiting for it is found
# from the stack, as a blocked receive is.

_GET_TEMPLATE = """
if _fk_skip[0]:
    _fk_skip[0] -= 1
    try:
        res = self._recv_bytes()
    except BaseException:
        if _fk_claim[0] is not None:
            _fk_end_claim()
        raise
    if _fk_claim[0] is not None:
        _fk_end_claim()
else:
    res = self._fk_rx_timed()
_fk_c = self._fk_tails.get(res[-%(tl)d:-%(tl8)d])
if _fk_c is None:
    _fk_count(self, res)
else:
    _fk_c[0] += 1
    _fk_c[1] += len(res) - %(tl)d
""" % {"tl": TLEN, "tl8": TLEN - 8}


class _NoTails(dict):
    """The class default of `Queue._fk_tails`: a queue made while recording was off counts nothing
    (_count_slow finds no ref on it)."""

    __slots__ = ()

    def __setitem__(self, k: Any, v: Any) -> None:
        pass


def _count_untailed(ref: Any, tails: Any, reader: Any, b: Any) -> None:
    """A message received on queue `ref` whose trailer is not in `tails` yet, a timed one, or one
    without a trailer (a sender without the runtime): counted, its latency sampled if timed, and an
    untimed sender's trailer remembered in `tails`."""
    n = len(b) - TLEN
    if n < 0:
        return
    m, frm, ts = RAW_TRAILER.unpack_from(b, n)
    if m != UNTIMED_INT and m != MAGIC_INT:
        return
    c = count_received(ref, frm, n)
    if m == MAGIC_INT:
        E.rx_sampled(c, ref, frm, ts, n, getattr(reader, "_fk_tag", None))
    elif len(tails) < MAX_TAILS:
        tails[b[n : n + 8]] = c


def _count_slow(q: Any, b: Any) -> None:
    """The inline get's slow way (_GET_TEMPLATE): nothing for a queue made while recording was off."""
    ref = q._fk_ref
    if ref is not None:
        _count_untailed(ref, q._fk_tails, q._reader, b)


@sites.hidden
def _rx_timed(self: Any) -> Any:
    """`Queue._fk_rx_timed`: the call of a get the countdown times, as a `queue.get` wait."""
    w = E.msg_wait_timed("queue.get", self._fk_ref)
    try:
        b = self._recv_bytes()
    except BaseException as e:
        if w is not None:
            E.msg_wait_end(w)
        elif E.rx_claim[0] is not None:
            E.end_rx_claim()
        sites.hide(e)
        raise
    if w is not None:
        E.msg_wait_end(w)
    elif E.rx_claim[0] is not None:
        E.end_rx_claim()
    return b


def _is_rlock_with(node: Any) -> bool:
    """`with self._rlock:`."""
    import ast

    if not isinstance(node, ast.With) or len(node.items) != 1 or node.items[0].optional_vars is not None:
        return False
    e = node.items[0].context_expr
    return isinstance(e, ast.Attribute) and e.attr == "_rlock" and isinstance(e.value, ast.Name) and e.value.id == "self"


class _OwnReadLock:
    """`Queue._fk_rl`'s class default: the queue's own read lock (a queue made while recording was
    off). Not a data descriptor, so the queue's own `_fk_rl` comes first (_read_lock)."""

    def __get__(self, q: Any, cls: Any = None) -> Any:
        return self if q is None else q._rlock


def _read_lock(q: Any) -> Any:
    """What the inline get's `with` takes (`self._fk_rl`): the read lock's C semaphore itself, whose
    `__enter__` and `__exit__` are C (the standard library's are a Python frame each, the runtime's
    lock class another), or the lock when a pool worker's flush must run before it blocks
    (before_blocking_get). Waiting for it is found from the stack (waits._check_rx_wait)."""
    rl = q._rlock
    if getattr(rl, "_fk_before", None) is not None:
        return rl
    return getattr(rl, "_semlock", rl)


def _is_recv_assign(node: Any) -> bool:
    """`res = self._recv_bytes()`."""
    import ast

    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "res"):
        return False
    v = node.value
    return (
        isinstance(v, ast.Call)
        and not v.args
        and not v.keywords
        and isinstance(v.func, ast.Attribute)
        and v.func.attr == "_recv_bytes"
        and isinstance(v.func.value, ast.Name)
        and v.func.value.id == "self"
    )


def _inline_get(orig: Any) -> Any:
    """Queue.get recompiled from the standard library's source (its file, its line numbers and
    columns, its module's globals) with _GET_TEMPLATE in place of each `res = self._recv_bytes()`,
    every line of it numbered as that statement; (the function, the lines of those statements), or
    (None, None) when the source is not there or not the expected shape (then `_recv_bytes` gets the
    counting wrapper instead, _make_rx)."""
    import ast

    try:
        code = orig.__code__
        filename = code.co_filename
        start = code.co_firstlineno
        with open(filename, encoding="utf-8") as f:  # (the standard library's sources are UTF-8)
            text = f.readlines()
        if start < 2 or len(text) < start or not text[start - 1].startswith("    def get(self, block=True, timeout=None):"):
            return None, None, None
        end = start
        while end < len(text) and (not text[end].strip() or text[end].startswith("        ")):
            end += 1
        lines = text[start - 1 : end]
        src = "def _fk_make(_fk_skip, _fk_claim, _fk_end_claim, _fk_count):\n" + "".join(lines) + "    return get\n"
        tree = ast.parse(src)
        ast.increment_lineno(tree, start - 2)  # `def get` is on its own line again
        fn: Any = tree.body[0]
        fn = fn.body[0]
        if not isinstance(fn, ast.FunctionDef) or fn.name != "get" or fn.decorator_list:
            return None, None, None
        found = []
        locks = []

        def rewrite(body: Any) -> Any:
            out = []
            for node in body:
                if _is_rlock_with(node):
                    node.items[0].context_expr.attr = "_fk_rl"  # (its position stays the source's)
                    locks.append(node.lineno)
                if _is_recv_assign(node):
                    found.append(node.lineno)
                    at = {"lineno": node.lineno, "end_lineno": node.lineno, "col_offset": node.col_offset, "end_col_offset": node.end_col_offset}
                    for new in ast.parse(_GET_TEMPLATE).body:
                        for sub in ast.walk(new):
                            if hasattr(sub, "lineno"):
                                for k, v in at.items():
                                    setattr(sub, k, v)
                        out.append(new)
                    continue
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        setattr(node, field, rewrite(inner))
                for h in getattr(node, "handlers", ()):
                    h.body = rewrite(h.body)
                out.append(node)
            return out

        calls = sum(1 for n in ast.walk(fn) if isinstance(n, ast.Attribute) and n.attr == "_recv_bytes")
        fn.body = rewrite(fn.body)
        if not found or len(found) != calls:  # every read of the queue is one of those statements
            return None, None, None
        ns: Any = {}
        exec(compile(tree, filename, "exec"), orig.__globals__, ns)  # defines _fk_make in ns; its functions' globals are the module's
        get = ns["_fk_make"](E.wait_skip, E.rx_claim, E.end_rx_claim, _count_slow)
        get.__qualname__ = orig.__qualname__
        get.__module__ = orig.__module__
        get.__doc__ = orig.__doc__
        return get, frozenset(found), _lock_entry(get.__code__, locks, found)
    except Exception as e:  # noqa: BLE001
        E.fail("Queue.get", e)
        return None, None, None


def _lock_entry(code: Any, locks: Any, found: Any) -> Any:
    """(the lines of the get's `with self._fk_rl:`, the offset of its first receive line's first
    instruction): a frame of the get at one of those lines and before that offset is taking its
    read lock (after it, the with's exit); None without such a `with`."""
    if not locks:
        return None
    lines = getattr(code, "co_lines", None)
    if lines is not None:  # 3.10+
        starts = [a for a, _, n in lines() if n in found]
    else:
        import dis

        starts = [a for a, n in dis.findlinestarts(code) if n in found]
    return (frozenset(locks), min(starts)) if starts else None


_queue_class: List[Any] = [None]  # multiprocessing.queues.Queue
_inline: List[Any] = [False]  # whether Queue.get is the inline one (else `_recv_bytes` is wrapped); None: not tried yet


def _install_get(Q: Any) -> None:
    """Puts the inline get (_inline_get) on Queue, once per process, at its first queue: the parse
    and compile (about a millisecond) are paid only by a process that has a Queue. A fork child
    inherits it."""
    _inline[0] = False
    get, lines, locks = _inline_get(Q.__dict__["get"])
    if get is None:
        return
    replace(Q, "_fk_ref", None)  # class defaults, for a queue made while recording was off
    replace(Q, "_fk_tails", _NoTails())
    replace(Q, "_fk_rx_timed", _rx_timed)
    replace(Q, "_fk_rl", _OwnReadLock())
    E.RX_GETS[get.__code__] = lines
    if locks is not None:
        E.RX_LOCKS[get.__code__] = locks
    replace(Q, "get", get)
    _inline[0] = True


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
        q._fk_rl = q._rlock  # (its get's `with` is the lock's own, which runs `before`: _read_lock)
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
                if _inline[0] is None:
                    _install_get(_queue_class[0])
                if _inline[0]:
                    tails = self._fk_tails = _Tails()
                    _keep_tails(tails)
                    self._fk_rl = _read_lock(self)
                else:
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
    Q = _queue_class[0] = queues.Queue
    replace(Q, "_reset", _make_qreset(Q._reset))
    replace(Q, "__init__", _make_qinit(Q.__init__, "queue"))
    replace(Q, "_feed", _make_feed(Q.__dict__["_feed"].__func__))
    _inline[0] = None  # Queue.get is recompiled at the first queue of this process (_install_get)
    JQ = queues.JoinableQueue
    replace(JQ, "__init__", _make_qinit(JQ.__init__, "joinablequeue"))
    SQ = queues.SimpleQueue
    replace(SQ, "__init__", _make_sqinit(SQ.__init__))
    replace(SQ, "__setstate__", _make_sqsetstate(SQ.__setstate__))
