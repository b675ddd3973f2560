"""Messages: Pipe/Connection, Queue, JoinableQueue, SimpleQueue.

Every pickled payload gets a 16-byte trailer after its pickle (`b"FkS1"`,
sender pid, send time; pickle ignores bytes past STOP, so any reader gets the
same object). The receiving process reads it, so its `recv` counters and `m`
events name the true sender and the latency.

- `Connection.send/recv` are replaced with equivalents that write and read the
  trailer (`send_bytes`/`recv_bytes` are never touched). This carries Pipe
  traffic, Pool task dispatch and results, and Manager calls. A connection's
  channel ref is its descriptor's inode, or the `m<address>` ref a Manager
  connection was tagged with.
- `Queue._reset` (run on creation, unpickling and after fork) wraps the
  queue's `_send_bytes` (called by the feeder thread, which pickles: real byte
  counts) and `_recv_bytes`. `Queue.get`/`put` record waits (put only on
  bounded queues, where it can block).
- `SimpleQueue.get/put` pickle in the caller: they are re-implemented with the
  same locking, plus the trailer.
- `connection.Pipe` and the queues' constructors declare `chan` events for
  channels user code made (a duplex Pipe is a socket pair: both inodes).
"""

import io
import os
import struct

from . import emitter as E
from . import sites
from .patching import replace

MAGIC = b"FkS1"
QUIET = "-"  # the ref of internal connections whose traffic is not counted
TRAILER = struct.Struct("<4sId")
TLEN = TRAILER.size
pack = TRAILER.pack
unpack_from = TRAILER.unpack_from
recv_table = E.recv
sent_table = E.sent

_ForkingPickler = None
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


def count_sent(ref, n):
    """One message of n payload bytes sent on ref."""
    c = sent_table.get(ref)
    if c is None:
        sent_table[ref] = [1, n]
    else:
        c[0] += 1
        c[1] += n


def count_recv(ref, data, n, tag, _unpack=unpack_from, _magic=MAGIC, _tl=TLEN, _time=E.time, _table=recv_table, _budget=E.budget, _misc=E.misc, _append=E.append):
    """Reads the trailer of a received payload (n bytes incl. trailer) and counts it.

    Hot path: everything it needs is bound as a default argument."""
    now = _time()
    if n >= _tl:
        m, frm, ts = _unpack(data, n - _tl)
        if m == _magic:
            n -= _tl
            lat = now - ts
            if lat < 0.0:
                lat = 0.0
        else:
            frm, ts, lat = 0, now, 0.0
    else:
        frm, ts, lat = 0, now, 0.0
    key = (ref, frm)
    c = _table.get(key)
    if c is None:
        _table[key] = [1, n, lat, lat]
    else:
        c[0] += 1
        c[1] += n
        c[2] += lat
        if lat > c[3]:
            c[3] = lat
    if _budget[0] >= 1.0:
        _budget[0] -= 1.0
        _misc["detail"] += 1
        _append(["m", now, ref, frm, ts, n, tag])
    else:
        _misc["dropped"] += 1


def trailer(_pack=pack, _magic=MAGIC, _time=E.time):
    """The 16 bytes that follow a payload sent now by this process."""
    return _pack(_magic, E.pid, _time())


# ---- Connection ----------------------------------------------------------------------------


@sites.hidden
def conn_send(self, obj):
    """Connection.send with the trailer (same checks and pickling as the original)."""
    self._check_closed()
    self._check_writable()
    b = io.BytesIO()
    _ForkingPickler(b, None).dump(obj)
    if E.enabled:
        try:
            n = b.tell()
            b.write(trailer())
            d = self.__dict__
            ref = d.get("_fk_ref") or conn_ref(self)
            if ref is not QUIET:
                count_sent(ref, n)
            if d.get("_fk_mc") and type(obj) is tuple and len(obj) == 4:
                d["_fk_call"] = obj[1]
        except Exception as e:  # noqa: BLE001
            E.fail("Connection.send", e)
    self._send_bytes(b.getbuffer())


@sites.hidden
def conn_recv(self):
    """Connection.recv reading the trailer (same checks and unpickling as the original)."""
    self._check_closed()
    self._check_readable()
    w = E.wait_begin("recv", self.__dict__.get("_fk_ref") or None, None) if E.cur_wait[0] is None else None
    try:
        buf = self._recv_bytes()
    except BaseException as e:
        sites.hide(e)
        raise
    finally:
        E.wait_end(w)
    mv = buf.getbuffer()
    obj = _ForkingPickler.loads(mv)
    if E.enabled:
        try:
            d = self.__dict__
            ref = d.get("_fk_ref") or conn_ref(self)
            tag = d.get("_fk_tag")
            if d.get("_fk_ms") and type(obj) is tuple and len(obj) == 4:
                tag = obj[1] if isinstance(obj[1], str) else None
            elif d.get("_fk_mc"):
                tag = d.get("_fk_call")
            if ref is not QUIET:
                count_recv(ref, mv, len(mv), tag)
        except Exception as e:  # noqa: BLE001
            E.fail("Connection.recv", e)
    return obj


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


def _qsender(ref, send_bytes):
    table = sent_table
    join = b"".join

    def send(buf):
        if E.enabled:
            try:
                n = len(buf)
                c = table.get(ref)
                if c is None:
                    table[ref] = [1, n]
                else:
                    c[0] += 1
                    c[1] += n
                buf = join((buf, trailer()))
            except Exception as e:  # noqa: BLE001
                E.fail("Queue.feed", e)
        return send_bytes(buf)

    return send


def _make_qreset(orig):
    def _reset(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = pipe_ref(self)
                d = self.__dict__
                d["_fk_ref"] = ref
                cell = d.get("_fk_cell")
                if cell is None:
                    cell = d["_fk_cell"] = [None]
                self._send_bytes = _qsender(ref, self._send_bytes)
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
                    ref = self.__dict__.get("_fk_ref") or pipe_ref(self)
                    _declare(kind, ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue", e)

    return __init__


def _make_qget(time_mod, Empty):
    """Queue.get re-implemented (identical in 3.9-3.13) with the wait and the receive counted inline:
    it is the hot path of a queue flood."""
    monotonic = time_mod.monotonic
    cur_wait = E.cur_wait
    get_ident = E.get_ident
    now = E.time
    waits = E.waits
    wait_s = E.wait_s
    append = E.append

    @sites.hidden
    def get(self, block=True, timeout=None):
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        w = None
        if block and cur_wait[0] is None and get_ident() == E.main_ident and E.enabled:
            w = cur_wait[0] = ["queue.get", self.__dict__.get("_fk_ref"), None, now(), [1], False]
        try:
            if block and timeout is None:
                with self._rlock:
                    res = self._recv_bytes()
                self._sem.release()
            else:
                if block:
                    deadline = monotonic() + timeout
                if not self._rlock.acquire(block, timeout):
                    raise Empty
                try:
                    if block:
                        timeout = deadline - monotonic()
                        if not self._poll(timeout):
                            raise Empty
                    elif not self._poll():
                        raise Empty
                    res = self._recv_bytes()
                    self._sem.release()
                finally:
                    self._rlock.release()
        except BaseException as e:
            if w is not None:
                E.wait_end(w)
                w = None
            sites.hide(e)
            raise
        if w is not None:
            t = now()
            cur_wait[0] = None
            try:
                w[4].pop()
                d = t - w[3]
                if d < wait_s[0]:
                    c = waits.get("queue.get")
                    if c is None:
                        waits["queue.get"] = [d]
                    else:
                        c[0] += d
                else:
                    append(["w", w[3], "queue.get", w[1], None])
                    append(["we", t])
            except IndexError:
                E.wait_end_claimed(w, t)
        d = self.__dict__
        ref = d.get("_fk_ref")
        if ref is not None and E.enabled:
            try:
                cell = d.get("_fk_cell")
                count_recv(ref, res, len(res), cell[0] if cell else None)
            except Exception as e:  # noqa: BLE001
                E.fail("Queue.get", e)
        # unserialize the data after having released the lock
        return _ForkingPickler.loads(res)

    return get


def _make_qput(orig):
    @sites.hidden
    def put(self, obj, block=True, timeout=None):
        w = None
        if block and self._maxsize < _SEM_MAX:
            w = E.wait_begin("queue.put", self.__dict__.get("_fk_ref"), None)
        try:
            return orig(self, obj, block, timeout)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            E.wait_end(w)

    return put


# ---- SimpleQueue ---------------------------------------------------------------------------


def sq_ref(q):
    """A SimpleQueue's channel ref (its pipe's inode), cached on the object."""
    d = q.__dict__
    r = d.get("_fk_ref")
    if r is None:
        r = d["_fk_ref"] = pipe_ref(q)
    return r


def pipe_ref(q):
    """The ref of a queue's pipe from whichever end is still open here (both share one inode)."""
    try:
        return inode_ref(q._reader.fileno())
    except OSError:
        return inode_ref(q._writer.fileno())


@sites.hidden
def sq_get(self):
    """SimpleQueue.get: same locking as the original, plus the wait and the trailer."""
    w = E.wait_begin("queue.get", self.__dict__.get("_fk_ref"), None)
    try:
        with self._rlock:
            res = self._reader.recv_bytes()
    except BaseException as e:
        sites.hide(e)
        raise
    finally:
        E.wait_end(w)
    if E.enabled:
        try:
            count_recv(self.__dict__.get("_fk_ref") or sq_ref(self), res, len(res), self.__dict__.get("_fk_tag"))
        except Exception as e:  # noqa: BLE001
            E.fail("SimpleQueue.get", e)
    return _ForkingPickler.loads(res)


@sites.hidden
def sq_put(self, obj):
    """SimpleQueue.put: pickles before taking the lock, like the original, and adds the trailer."""
    b = io.BytesIO()
    _ForkingPickler(b, None).dump(obj)
    if E.enabled:
        try:
            n = b.tell()
            b.write(trailer())
            count_sent(self.__dict__.get("_fk_ref") or sq_ref(self), n)
        except Exception as e:  # noqa: BLE001
            E.fail("SimpleQueue.put", e)
    data = b.getbuffer()
    if self._wlock is None:
        self._writer.send_bytes(data)
    else:
        with self._wlock:
            self._writer.send_bytes(data)


def _make_sqinit(orig):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = sq_ref(self)
                site = sites.user_site(2)
                if not site[3]:
                    _declare("simplequeue", ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __init__


def _patch_connection(connection):
    global _ForkingPickler
    from multiprocessing import reduction

    _ForkingPickler = reduction.ForkingPickler
    CB = connection._ConnectionBase
    replace(CB, "send", conn_send)
    replace(CB, "recv", conn_recv)
    replace(connection, "Pipe", _make_pipe(connection.Pipe))


def _patch_queues(queues):
    global _ForkingPickler, _SEM_MAX
    import _multiprocessing
    from multiprocessing import reduction

    _ForkingPickler = reduction.ForkingPickler
    _SEM_MAX = _multiprocessing.SemLock.SEM_VALUE_MAX
    Q = queues.Queue
    replace(Q, "_reset", _make_qreset(Q._reset))
    replace(Q, "__init__", _make_qinit(Q.__init__, "queue"))
    import queue
    import time as time_mod

    replace(Q, "get", _make_qget(time_mod, queue.Empty))
    replace(Q, "put", _make_qput(Q.put))
    JQ = queues.JoinableQueue
    replace(JQ, "__init__", _make_qinit(JQ.__init__, "joinablequeue"))
    replace(JQ, "put", _make_qput(JQ.put))
    SQ = queues.SimpleQueue
    replace(SQ, "__init__", _make_sqinit(SQ.__init__))
    replace(SQ, "get", sq_get)
    replace(SQ, "put", sq_put)
