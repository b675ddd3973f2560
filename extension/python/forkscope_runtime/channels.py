"""Messages: Pipe/Connection, Queue, JoinableQueue, SimpleQueue.

Every pickled payload gets a 16-byte trailer after its pickle (`b"FkS1"`,
sender pid, send time; pickle ignores bytes past STOP, so any reader gets the
same object). The receiving process reads it, so its `recv` counters and `m`
events name the true sender and the latency.

Nothing is re-implemented: every wrapper calls the original, so tracebacks
show the standard library's own frames (the wrappers hide theirs).

- The trailer: `connection` and `queues` pickle through their module global
  `_ForkingPickler`; it is replaced by a subclass whose `dumps` calls the
  original and appends the trailer. This covers Connection.send (Pipe, Pool
  task dispatch, Manager calls), the Queue feeder thread and SimpleQueue.put.
  `send_bytes`/`recv_bytes` payloads of the user are never changed.
- Sending is counted in `Connection._send_bytes` (every message of every
  kind passes there; payloads without a trailer are raw and not counted),
  under the connection's channel ref: its descriptor's inode (a queue's two
  ends share one), or the `m<address>` ref of a Manager connection.
- Receiving: the same pickler's `loads` notes the trailer of what it reads
  (per thread), and the wrapper that knows the channel counts it:
  `Connection.recv`, `Queue.get`, `SimpleQueue.get`.
- Waits: `Connection.recv`, `Queue.get`, `SimpleQueue.get` (and `put` of a
  bounded queue).
- `connection.Pipe` and the queues' constructors declare `chan` events for
  channels user code made (a duplex Pipe is a socket pair: both inodes).
"""

import io
import os
import struct
import threading

from . import emitter as E
from . import sites
from .patching import replace

MAGIC = b"FkS1"
QUIET = "-"  # the ref of internal connections whose traffic is not counted
TRAILER = struct.Struct("<4sId")
RAW_TRAILER = struct.Struct("<IId")  # the same 16 bytes, the magic read as an integer
MAGIC_INT = RAW_TRAILER.unpack(TRAILER.pack(MAGIC, 0, 0.0))[0]
TLEN = TRAILER.size
pack = TRAILER.pack
unpack_from = TRAILER.unpack_from
recv_table = E.recv
sent_table = E.sent

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


def trailer(_pack=pack, _magic=MAGIC, _time=E.time):
    """The 16 bytes that follow a payload sent now by this process."""
    return _pack(_magic, E.pid, _time())


# ---- the trailer and the counting ------------------------------------------------------------


_rx = threading.local()  # the trailer of the payload this thread unpickled last: (fromPid, tSent, bytes)


def _make_pickler(base):
    base_dumps = base.dumps
    base_loads = base.loads
    join = b"".join
    tl = TLEN
    raw = RAW_TRAILER
    unpack = RAW_TRAILER.unpack_from
    magic = MAGIC_INT

    class TrailedPickler(base):
        """ForkingPickler whose dumps appends the sender trailer and whose loads notes the trailer
        of what it reads, for the wrapper that knows the channel to count (connection, queues)."""

        @classmethod
        @sites.hidden
        def dumps(cls, obj, protocol=None):
            try:
                buf = base_dumps(obj, protocol)
            except BaseException as e:
                sites.hide(e)
                raise
            if E.enabled:
                try:
                    return join((buf, trailer()))
                except Exception as e:  # noqa: BLE001
                    E.fail("pickle", e)
            return buf

        @staticmethod
        @sites.hidden
        def loads(data, *args, **kwargs):
            n = len(data)
            if n >= tl:
                m, frm, ts = unpack(data, n - tl)
                if m == magic:
                    _rx.v = (frm, ts, n - tl)
            try:
                return base_loads(data, *args, **kwargs)
            except BaseException as e:
                sites.hide(e)
                raise

    TrailedPickler.__module__ = base.__module__
    TrailedPickler.__qualname__ = TrailedPickler.__name__ = base.__name__
    return TrailedPickler


def count_rx(ref, rx, tag, _time=E.time, _table=recv_table, _budget=E.budget, _misc=E.misc, _append=E.append):
    """Counts one received message whose trailer loads noted: rx = (fromPid, tSent, bytes)."""
    frm, ts, n = rx
    now = _time()
    lat = now - ts
    if lat < 0.0:
        lat = 0.0
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


def _make_send_bytes(orig):
    magic = MAGIC
    tl = TLEN

    @sites.hidden
    def _send_bytes(self, buf):
        if E.enabled:
            try:
                n = len(buf)
                if n >= tl and buf[n - tl : n - tl + 4] == magic:
                    d = self.__dict__
                    ref = d.get("_fk_ref") or conn_ref(self)
                    if ref is not QUIET:
                        count_sent(ref, n - tl)
            except Exception as e:  # noqa: BLE001
                E.fail("Connection.send", e)
        try:
            return orig(self, buf)
        except BaseException as e:
            sites.hide(e)
            raise

    return _send_bytes


def _make_conn_recv(orig):
    @sites.hidden
    def recv(self):
        d = self.__dict__
        w = None
        if E.cur_wait[0] is None:
            r = d.get("_fk_ref")
            w = E.wait_begin("recv", r if r and r is not QUIET else None, None)
        try:
            obj = orig(self)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            E.wait_end(w)
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


def _make_qreset(orig):
    def _reset(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = pipe_ref(self)
                self.__dict__["_fk_ref"] = ref
                for c in (self._reader, self._writer):  # both ends count under the queue's ref
                    c.__dict__["_fk_ref"] = ref
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


def _make_qget(orig, simple=False):
    """Queue.get / SimpleQueue.get: a `queue.get` wait of the main thread, and the count of the
    message (its trailer noted by loads) under the queue's ref. The hot path of a queue flood:
    the wait bookkeeping of emitter.wait_begin/wait_end and count_rx are inlined here."""
    cur_wait = E.cur_wait
    get_ident = E.get_ident
    now = E.time
    waits = E.waits
    wait_s = E.wait_s
    append = E.append
    table = recv_table
    budget = E.budget
    misc = E.misc
    rx_local = _rx

    @sites.hidden
    def get(self, block=True, timeout=None):
        d = self.__dict__
        ref = d.get("_fk_ref")
        w = None
        if block and cur_wait[0] is None and get_ident() == E.main_ident:
            w = cur_wait[0] = ["queue.get", ref, None, now(), [1], False]
        try:
            obj = orig(self) if simple else orig(self, block, timeout)
        except BaseException as e:
            if w is not None:
                E.wait_end(w)
            sites.hide(e)
            raise
        t = now()
        if w is not None:
            cur_wait[0] = None
            try:
                w[4].pop()
            except IndexError:
                E.wait_end_claimed(w, t)
            else:
                dt = t - w[3]
                if dt < wait_s[0]:
                    c = waits.get("queue.get")
                    if c is None:
                        waits["queue.get"] = [dt]
                    else:
                        c[0] += dt
                else:
                    append(["w", w[3], "queue.get", ref, None])
                    append(["we", t])
        rx = getattr(rx_local, "v", None)
        if rx is not None:
            rx_local.v = None
            try:
                if ref is None:
                    ref = queue_ref(self)
                frm, ts, n = rx
                lat = t - ts
                if lat < 0.0:
                    lat = 0.0
                key = (ref, frm)
                c = table.get(key)
                if c is None:
                    table[key] = [1, n, lat, lat]
                else:
                    c[0] += 1
                    c[1] += n
                    c[2] += lat
                    if lat > c[3]:
                        c[3] = lat
                if budget[0] >= 1.0:
                    budget[0] -= 1.0
                    misc["detail"] += 1
                    append(["m", t, ref, frm, ts, n, self._reader.__dict__.get("_fk_tag")])
                else:
                    misc["dropped"] += 1
            except Exception as e:  # noqa: BLE001
                E.fail("Queue.get", e)
        return obj

    return get  # (as SimpleQueue.get it ignores block/timeout, which that method does not take)


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


def _make_sqinit(orig):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        if E.enabled:
            try:
                ref = queue_ref(self)
                site = sites.user_site(2)
                if not site[3]:
                    _declare("simplequeue", ref, [ref], site)
            except Exception as e:  # noqa: BLE001
                E.fail("SimpleQueue", e)

    return __init__


def _patch_connection(connection):
    replace(connection, "_ForkingPickler", _make_pickler(connection._ForkingPickler))
    C = connection.Connection
    replace(C, "_send_bytes", _make_send_bytes(C._send_bytes))
    CB = connection._ConnectionBase
    replace(CB, "recv", _make_conn_recv(CB.recv))
    replace(connection, "Pipe", _make_pipe(connection.Pipe))


def _patch_queues(queues):
    global _SEM_MAX
    import _multiprocessing

    _SEM_MAX = _multiprocessing.SemLock.SEM_VALUE_MAX
    replace(queues, "_ForkingPickler", _make_pickler(queues._ForkingPickler))
    Q = queues.Queue
    replace(Q, "_reset", _make_qreset(Q._reset))
    replace(Q, "__init__", _make_qinit(Q.__init__, "queue"))
    replace(Q, "get", _make_qget(Q.get))
    replace(Q, "put", _make_qput(Q.put))
    JQ = queues.JoinableQueue
    replace(JQ, "__init__", _make_qinit(JQ.__init__, "joinablequeue"))
    replace(JQ, "put", _make_qput(JQ.put))
    SQ = queues.SimpleQueue
    replace(SQ, "__init__", _make_sqinit(SQ.__init__))
    replace(SQ, "get", _make_qget(SQ.get, simple=True))
