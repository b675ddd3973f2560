"""Messages: Pipe/Connection, Queue, JoinableQueue, SimpleQueue.

Every pickled payload gets a 16-byte trailer after its pickle (a magic, the
sender pid, the send time or 0; pickle ignores bytes past STOP, so any reader
gets the same object). The receiving process reads it, so its `recv` counters
and `m` events name the true sender and the latency.

Nothing is re-implemented but `ForkingPickler.dumps`, whose three lines are
checked to be the standard library's (a payload that fails to pickle goes to
the original, so its error and traceback are the standard library's); every
other wrapper calls the original, so tracebacks show the standard library's
own frames (the wrappers hide theirs).

- The trailer: `connection` and `queues` pickle through their module global
  `_ForkingPickler`; it is replaced by a subclass whose `dumps` writes the
  trailer into the pickle's own buffer. This covers Connection.send (Pipe,
  Pool task dispatch, Manager calls), the Queue feeder thread and
  SimpleQueue.put. A Queue's feeder runs the standard library's `_feed` code
  with a pickler of its own, which counts the queue's messages as it pickles
  them. `send_bytes`/`recv_bytes` payloads of the user are never changed.
- Sending is counted in `Connection._send_bytes` (every message of every
  kind passes there; payloads without a trailer are raw and not counted),
  under the connection's channel ref: its descriptor's inode (a queue's two
  ends share one), or the `m<address>` ref of a Manager connection.
- Receiving on a queue: each Queue / SimpleQueue gets its own `recv_bytes`
  (the one its `get` calls; a Queue's `_recv_bytes`, a SimpleQueue reader's
  `recv_bytes`) that reads the trailer of the bytes it returns and counts
  them under the queue's ref; `get` itself is not wrapped. On a Connection (Pipe, Pool results, Manager)
  the connection module's pickler `loads` notes the trailer (per thread) and
  the `Connection.recv` wrapper counts it.
- Sampling (docs/runtime-protocol.md, "Sampling"): message and byte counts
  per sender are exact; the clock is read (latency, an `m` event, the wait's
  duration) only on sampled messages, all of them when traffic is slow, one
  in up to 256 under a flood. The sender samples: its trailer is timed
  (`FkS1`, the send time) or untimed (`FkU1`, prebuilt per process); a
  receiver counts an untimed message with one slice and one lookup.
- Waits: `Connection.recv`; a queue's `get` where it can block: its
  `recv_bytes`, its read lock when another reader holds it, a Queue's `_poll`
  for `get(timeout=…)`; and a bounded queue's `put` (its semaphore's
  `acquire`). All per queue: an unbounded `put` runs untouched.
- `connection.Pipe` and the queues' constructors declare `chan` events for
  channels user code made (a duplex Pipe is a socket pair: both inodes).
"""

import io
import operator
import os
import struct
import threading
import weakref

from . import emitter as E
from . import sites
from .patching import replace

MAGIC = b"FkS1"  # a timed trailer: the send time follows the sender pid
UNTIMED = b"FkU1"  # an untimed one: its time field is 0
QUIET = "-"  # the ref of connections whose traffic is not counted by the send hook (internal, or counted elsewhere)
TRAILER = struct.Struct("<4sId")
RAW_TRAILER = struct.Struct("<IId")  # the same 16 bytes, the magic read as an integer
MAGIC_INT = RAW_TRAILER.unpack(TRAILER.pack(MAGIC, 0, 0.0))[0]
UNTIMED_INT = RAW_TRAILER.unpack(TRAILER.pack(UNTIMED, 0, 0.0))[0]
TLEN = TRAILER.size
pack = TRAILER.pack
recv_table = E.recv
sent_table = E.sent
# The untimed trailer of this process (rebuilt after fork: it names the pid).
_untimed = [b""]


def _new_trailers():
    _untimed[0] = pack(UNTIMED, E.pid & 0xFFFFFFFF, 0.0)


_new_trailers()
E.on_reset.append(_new_trailers)


def timed_trailer(skip):
    """A timed trailer (the send time), for the send that ended a run of untimed ones in countdown
    skip (emitter.tx_timed)."""
    return pack(MAGIC, E.pid & 0xFFFFFFFF, E.tx_timed(skip))


def trailed_at(buf, n):
    """Whether buf holds a trailer at offset n."""
    return n >= 0 and buf[n] == 70 and buf[n : n + 4] in (MAGIC, UNTIMED)  # 70: the "F" of both magics

_SEM_MAX = None


def inode_ref(fd):
    """The channel ref of a descriptor: "p<inode>"."""
    return "p%d" % os.fstat(fd).st_ino


def conn_ref(conn):
    """A Connection's channel ref, cached on the object."""
    d = conn.__dict__
    r = d.get("_fk_ref")
    if r is None:
        r = d["_fk_ref"] = inode_ref(conn.fileno())
    return r


# ---- the trailer and the counting ------------------------------------------------------------


_rx = threading.local()  # the trailer of the payload this thread unpickled last: (fromPid, tSent, bytes)
# The payload dumps made last (any thread): the send hook knows it by identity without reading
# its trailer, and lets go of it once sent. Another thread's dumps in between only means the
# slower check.
_last_dumped = [None]
# A Queue's feeder thread pickles through a pickler of its own (_make_feed), which counts each
# message under the queue's ref as it pickles it, before the feeder takes the queue's write lock:
# counting inside that lock (the send hook) makes it longer, and other processes feeding the same
# queue wait for it (that cost 2 µs a message with 4 producers, 4x the hook's own time).


def _known_dumps(base):
    """Whether base.dumps is the standard library's three lines (the same in 3.9 to 3.13): a
    BytesIO, `cls(buf, protocol).dump(obj)`, `buf.getbuffer()`."""
    try:
        code = base.__dict__["dumps"].__func__.__code__
        return code.co_names == ("io", "BytesIO", "dump", "getbuffer") and code.co_varnames[:4] == ("cls", "obj", "protocol", "buf")
    except Exception:
        return False


def _make_pickler(base, note_loads, counter=None):
    """The trailing ForkingPickler of the connection or queues module; with `counter` ([msgs,
    bytes]), a Queue feeder's own, which counts what it pickles there."""
    base_dumps = base.dumps
    base_loads = base.loads
    known = _known_dumps(base)
    join = b"".join
    tl = TLEN
    unpack = RAW_TRAILER.unpack_from
    magic = MAGIC_INT
    umagic = UNTIMED_INT
    untimed = _untimed
    skip = [0, 0, 0.0]  # this pickler's send countdown (emitter.tx_timed)
    timed = timed_trailer
    BytesIO = io.BytesIO
    c = counter

    def _trailer():
        k = skip[0]
        if k:
            skip[0] = k - 1
            return untimed[0]
        return timed(skip)

    class TrailedPickler(base):
        """ForkingPickler whose dumps appends the sender trailer (and, for the connection module,
        whose loads notes the trailer of what it reads, for the Connection.recv wrapper)."""

        if known:

            @staticmethod
            @sites.hidden
            def dumps(obj, protocol=None):
                """The standard library's dumps with the trailer written into the same buffer
                (no copy). A payload that cannot be pickled is handed to the standard library's own
                dumps, which raises the same error with its own traceback (a Queue's feeder thread
                prints it)."""
                if not E.enabled:
                    return base_dumps(obj, protocol)
                f = BytesIO()
                try:
                    TrailedPickler(f, protocol).dump(obj)
                    ok = True
                except Exception:
                    ok = False
                except BaseException as e:
                    sites.hide(e)
                    raise
                if not ok:
                    try:
                        return base_dumps(obj, protocol)
                    except BaseException as e:
                        sites.hide(e)
                        raise
                try:  # _trailer() inlined: one frame less per message
                    n = f.tell()
                    k = skip[0]
                    if k:
                        skip[0] = k - 1
                        f.write(untimed[0])
                    else:
                        f.write(timed(skip))
                    out = f.getbuffer()
                    if c is None:
                        _last_dumped[0] = out.obj  # for the send hook (a view of it reaches _send_bytes)
                    else:
                        c[0] += 1
                        c[1] += n
                    return out
                except Exception as e:  # noqa: BLE001
                    E.fail("pickle", e)
                    return base_dumps(obj, protocol)

        else:

            @staticmethod
            @sites.hidden
            def dumps(obj, protocol=None):  # (a classmethod in the base: cls is not needed to call it)
                try:
                    buf = base_dumps(obj, protocol)
                except BaseException as e:
                    sites.hide(e)
                    raise
                if E.enabled:
                    try:
                        out = join((buf, _trailer()))
                        if c is None:
                            _last_dumped[0] = out  # for the send hook
                        else:
                            c[0] += 1
                            c[1] += len(buf)
                        return out
                    except Exception as e:  # noqa: BLE001
                        E.fail("pickle", e)
                return buf

        if note_loads:

            @staticmethod
            @sites.hidden
            def loads(data, *args, **kwargs):
                n = len(data) - tl
                if n >= 0:
                    m, frm, ts = unpack(data, n)
                    if m == magic or m == umagic:
                        _rx.v = (frm, ts, n)
                try:
                    return base_loads(data, *args, **kwargs)
                except BaseException as e:
                    sites.hide(e)
                    raise

    TrailedPickler.__module__ = base.__module__
    TrailedPickler.__qualname__ = TrailedPickler.__name__ = base.__name__
    return TrailedPickler


def count_received(ref, frm, n, _table=recv_table):
    """Counts one received message of n payload bytes from pid frm on channel ref; returns its
    `recv` counter [msgs, bytes, latSum, latMax, latN]."""
    key = (ref, frm)
    c = _table.get(key)
    if c is None:
        c = _table[key] = [0, 0, 0.0, 0.0, 0]
    c[0] += 1
    c[1] += n
    return c


def count_rx(ref, rx, tag, _sampled=E.rx_sampled):
    """Counts one received message whose trailer loads noted: rx = (fromPid, tSent, bytes); tSent
    is 0 when its sender did not time it. (A message not timed counts as dropped detail:
    emitter.counters_event adds msgs - latN.)"""
    frm, ts, n = rx
    c = count_received(ref, frm, n)
    if ts:
        _sampled(c, ref, frm, ts, n, tag)


def _make_send_bytes(orig):
    trailed = trailed_at
    tl = TLEN
    table = sent_table
    last = _last_dumped
    memoryview_ = memoryview

    @sites.hidden
    def _send_bytes(self, buf):
        ref = self.__dict__.get("_fk_ref")
        if ref is not QUIET:
            o = buf.obj if buf.__class__ is memoryview_ else buf  # send_bytes passes a view of the payload
            n = len(buf) - tl
            if o is last[0]:
                last[0] = None
            elif not trailed(buf, n):
                n = -1
            if n >= 0:
                try:
                    if ref is None:
                        ref = conn_ref(self)
                    c = table.get(ref)
                    if c is None:
                        table[ref] = [1, n]
                    else:
                        c[0] += 1
                        c[1] += n
                except Exception as e:  # noqa: BLE001
                    E.fail("Connection.send", e)
        try:
            return orig(self, buf)
        except BaseException as e:
            sites.hide(e)
            raise

    return _send_bytes


def _make_conn_recv(orig):
    cur_wait = E.cur_wait
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def recv(self):
        d = self.__dict__
        w = None
        if cur_wait[0] is None:
            r = d.get("_fk_ref")
            w = begin("recv", r if r and r is not QUIET else None)
        try:
            obj = orig(self)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            if w is not None:
                end(w)
        rx = getattr(_rx, "v", None)
        if rx is not None:
            _rx.v = None
            if E.enabled:
                try:
                    ref = d.get("_fk_ref") or conn_ref(self)
                    if ref is not QUIET:
                        tag = d.get("_fk_tag")
                        if d.get("_fk_ms"):
                            tag = obj[1] if type(obj) is tuple and len(obj) == 4 and isinstance(obj[1], str) else None
                        elif d.get("_fk_mc"):
                            tag = d.get("_fk_call")
                        count_rx(ref, rx, tag)
                except Exception as e:  # noqa: BLE001
                    E.fail("Connection.recv", e)
        return obj

    return recv


def _declare(kind, ref, refs, site, pool=None, name=None):
    fn, line, nm, _ = site
    E.emit(["chan", E.time(), {"ref": ref, "kind": kind, "name": name or nm, "file": fn, "line": line, "refs": refs, "pool": pool}])


def _make_pipe(orig):
    @sites.hidden
    def Pipe(duplex=True):
        try:
            c1, c2 = orig(duplex)
        except BaseException as e:
            sites.hide(e)
            raise
        if E.enabled:
            try:
                site = sites.user_site(2)
                if not site[3]:
                    r1, r2 = conn_ref(c1), conn_ref(c2)
                    _declare("pipe", r1, [r1, r2] if r2 != r1 else [r1], site)
                elif site[0] and site[0].endswith("managers.py"):
                    # BaseManager.start's private pipe (the server's address): plumbing, not counted
                    c1.__dict__["_fk_ref"] = c2.__dict__["_fk_ref"] = QUIET
            except Exception as e:  # noqa: BLE001
                E.fail("Pipe", e)
        return c1, c2

    return Pipe


# ---- Queue / JoinableQueue -------------------------------------------------------------------


def pipe_ref(q):
    """The ref of a queue's pipe from whichever end is still open here (both share one inode)."""
    try:
        return inode_ref(q._reader.fileno())
    except OSError:
        return inode_ref(q._writer.fileno())


def queue_ref(q):
    """A Queue's or SimpleQueue's channel ref, cached on the object (not pickled: explicit getstate)."""
    d = q.__dict__
    r = d.get("_fk_ref")
    if r is None:
        r = d["_fk_ref"] = pipe_ref(q)
    return r


sq_ref = queue_ref


class _Tails(dict):
    """A queue's receive counters by the first 8 bytes of an untimed trailer (its magic and the
    sender pid): one slice and one lookup count a message. Weakly listed, to be emptied after fork
    (the counters it holds are the parent's)."""

    __slots__ = ("__weakref__",)


_tails = {}  # id -> weakref of every queue's _Tails in this process


def _clear_tails():
    for r in list(_tails.values()):
        t = r()
        if t is not None:
            t.clear()


def _keep_tails(t):
    k = id(t)
    _tails[k] = weakref.ref(t, lambda _r, k=k: _tails.pop(k, None))


E.on_reset.append(_clear_tails)
_tail = operator.itemgetter(slice(-TLEN, -TLEN + 8))
MAX_TAILS = 4096  # senders remembered per queue (beyond: counted through the slow path)


def _make_rx(ref, reader):
    """The recv_bytes a queue's get calls, in one frame: the reader's own recv_bytes, then the
    count of the trailed message it returns under the queue's ref.

    Per message, on the hot path: the `queue.get` wait countdown (the main thread's calls are
    timed one in up to 64 under a flood: emitter.msg_wait_timed), the call, and the count of an
    untimed message (a slice of its trailer and a lookup). A timed message (its sender sampled it)
    goes the slow way: latency, detail. An untimed call does not mark the main thread as waiting:
    the flusher finds it blocked from its stack (emitter._check_rx_wait) and emits the wait; the
    call ends it (rx_claim).

    A Queue keeps it as `_recv_bytes`; a SimpleQueue's get calls `self._reader.recv_bytes()`, so
    there it sits in the reader's own __dict__. Either way it holds the reader weakly: no
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

    def slow(b):
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
            sampled(c, ref, frm, ts, n, r.__dict__.get("_fk_tag") if r is not None else None)
        elif len(tails) < MAX_TAILS:
            tails[b[n : n + 8]] = c

    @sites.hidden
    def recv_bytes(maxlength=None):
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


def _make_poll_wait(ref, reader):
    """A Queue's `_poll`: `get(timeout=…)` waits there, a `queue.get` wait; `empty()` and
    non-blocking gets (no timeout) go straight through."""
    fn = type(reader).poll
    reader_of = weakref.ref(reader)
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def poll(timeout=0.0):
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


def _waiting_acquire(sync, what, ref):
    """Sets a per-object acquire on a SemLock-based `sync` (a queue's semaphore or read lock) that
    reports a blocking acquire as a `what` wait on channel `ref`; a non-blocking try comes first,
    so an acquire that does not wait costs one extra C call."""
    c_acquire = sync._semlock.acquire
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def acquire(block=True, timeout=None):
        if c_acquire(False):
            return True
        if not block:
            return False
        w = begin(what, ref)
        try:
            return c_acquire(True, timeout)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            end(w)

    sync.__dict__["acquire"] = acquire


def _instrument_put_wait(q, ref):
    """A bounded queue's put waits in its semaphore's acquire: that is a `queue.put` wait."""
    _waiting_acquire(q._sem, "queue.put", ref)


def _instrument_get_lock(q, ref):
    """Waiting for a queue's read lock (another reader holds it) is a `queue.get` wait too: the
    lock's `with` (locks.py) reports a contended acquire as this wait; a timed get's acquire
    gets the same per-queue wrapper as a bounded put's semaphore."""
    q._rlock.__dict__["_fk_wait"] = ("queue.get", ref)
    _waiting_acquire(q._rlock, "queue.get", ref)


_plain_send_bytes = [None]  # Connection._send_bytes as the standard library has it


_queues_pickler = [None]  # queues.ForkingPickler as the standard library has it


def _feed_body(orig, ref):
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


def _make_feed(orig):
    """Queue._feed (the feeder thread's body): runs with a pickler that counts the queue's messages
    (_feed_body), and gives its writer the plain `_send_bytes` while it runs: the send hook would
    only skip it (the feeder's pickler counts), but even that runs inside the queue's write lock."""

    def _feed(*args):
        writer = None
        body = orig
        try:
            writer = args[2].__self__  # args[2]: the writer's send_bytes
            d = writer.__dict__
            ref = d.get("_fk_qref")
            if ref is not None and E.enabled and _queues_pickler[0] is not None:
                body = _feed_body(orig, ref)
                if _plain_send_bytes[0] is not None:
                    d["_send_bytes"] = _plain_send_bytes[0].__get__(writer)
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
                writer.__dict__.pop("_send_bytes", None)  # (a bound method there refers back to the writer)

    return staticmethod(_feed)


def _make_qreset(orig):
    def _reset(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = pipe_ref(self)
                d = self.__dict__
                d["_fk_ref"] = ref
                reader = self._reader
                reader.__dict__["_fk_ref"] = ref
                w = self._writer.__dict__
                w["_fk_qref"] = ref  # its feeder's dumps counts what it sends (_make_feed)
                w["_fk_ref"] = QUIET
                w.pop("_send_bytes", None)  # after fork: the parent's feeder is not running here
                d["_recv_bytes"] = _make_rx(ref, reader)
                d["_poll"] = _make_poll_wait(ref, reader)
                _instrument_get_lock(self, ref)
                if self._maxsize < _SEM_MAX:
                    _instrument_put_wait(self, ref)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue._reset", e)

    return _reset


def _make_qinit(orig, kind):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled and "_fk_declared" not in self.__dict__:
            try:
                site = sites.user_site(2)
                if not site[3]:
                    self._fk_declared = True
                    ref = queue_ref(self)
                    _declare(kind, ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue", e)

    return __init__


def _sq_ready(q):
    """Gives a SimpleQueue (made here or unpickled) its counting recv_bytes and the `queue.get`
    wait of its read lock; returns its ref."""
    ref = queue_ref(q)
    reader = q._reader
    reader.__dict__["recv_bytes"] = _make_rx(ref, reader)
    q._rlock.__dict__["_fk_wait"] = ("queue.get", ref)
    return ref


def _make_sqinit(orig):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = _sq_ready(self)
                site = sites.user_site(2)
                if not site[3]:
                    _declare("simplequeue", ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __init__


def _make_sqsetstate(orig):
    def __setstate__(self, state):
        orig(self, state)
        if E.enabled:
            try:
                _sq_ready(self)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __setstate__


def _patch_connection(connection):
    replace(connection, "_ForkingPickler", _make_pickler(connection._ForkingPickler, True))
    C = connection.Connection
    _plain_send_bytes[0] = C._send_bytes
    replace(C, "_send_bytes", _make_send_bytes(C._send_bytes))
    CB = connection._ConnectionBase
    replace(CB, "recv", _make_conn_recv(CB.recv))
    replace(connection, "Pipe", _make_pipe(connection.Pipe))


def _patch_queues(queues):
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
