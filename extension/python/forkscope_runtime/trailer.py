"""The sender trailer: the 16 bytes after every pickled payload, the pickler that writes them, the
counting of received messages, and the channel refs (see channels.py for the whole picture)."""

from __future__ import annotations

import io
import os
import struct
import threading
from itertools import repeat

from . import emitter as E
from . import sites

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

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


def _new_trailers() -> None:
    _untimed[0] = pack(UNTIMED, E.pid & 0xFFFFFFFF, 0.0)


_new_trailers()
E.on_reset.append(_new_trailers)


def timed_trailer(skip: Any) -> Any:
    """A timed trailer (the send time), for the send that ended a run of untimed ones in countdown
    skip (emitter.tx_timed)."""
    return pack(MAGIC, E.pid & 0xFFFFFFFF, E.tx_timed(skip))


def trailed_at(buf: Any, n: Any) -> Any:
    """Whether buf holds a trailer at offset n."""
    return n >= 0 and buf[n] == 70 and buf[n : n + 4] in (MAGIC, UNTIMED)  # 70: the "F" of both magics


def inode_ref(fd: Any) -> Any:
    """The channel ref of a descriptor: "p<inode>"."""
    return "p%d" % os.fstat(fd).st_ino


def conn_ref(conn: Any) -> Any:
    """A Connection's channel ref, cached on the object."""
    r = getattr(conn, "_fk_ref", None)
    if r is None:
        r = conn._fk_ref = inode_ref(conn.fileno())
    return r


# ---- the trailer and the counting ------------------------------------------------------------


_rx = threading.local()  # the trailer of the payload this thread unpickled last: (fromPid, tSent, bytes)
# The payload dumps made last (any thread): the send hook knows it by identity without reading
# its trailer, and lets go of it once sent. Another thread's dumps in between only means the
# slower check.
_last_dumped: List[Any] = [None]
# A Queue's feeder thread pickles through a pickler of its own (_make_feed), which counts each
# message under the queue's ref as it pickles it, before the feeder takes the queue's write lock:
# counting inside that lock (the send hook) makes it longer, and other processes feeding the same
# queue wait for it (that cost 2 µs a message with 4 producers, 4x the hook's own time).


def _known_dumps(base: Any) -> Any:
    """Whether base.dumps is the standard library's three lines (the same in 3.9 to 3.13): a
    BytesIO, `cls(buf, protocol).dump(obj)`, `buf.getbuffer()`."""
    try:
        code = base.__dict__["dumps"].__func__.__code__
        return code.co_names == ("io", "BytesIO", "dump", "getbuffer") and code.co_varnames[:4] == ("cls", "obj", "protocol", "buf")
    except Exception:
        return False


def trailer_source(forks: bool = True) -> Any:
    """A sender's next-trailer function: each call gives the next message's trailer. The untimed
    trailers of a run (tx_timed chose its length in the countdown) come from an itertools.repeat, so
    an untimed message runs no Python for its trailer; a timed one starts the next run. The untimed
    trailer names the pid: with `forks`, a process that forks makes its run anew (E.on_reset); a
    Queue feeder's, made in the process whose feeder thread it serves, is never forked."""
    skip = [0, 0, 0.0]
    run = repeat(b"", 0)

    def next_trailer() -> Any:
        nonlocal run
        t = next(run, None)
        if t is None:
            t = timed_trailer(skip)
            run = repeat(_untimed[0], skip[0])
        return t

    def renew() -> None:
        nonlocal run
        run = repeat(b"", 0)

    if forks:
        E.on_reset.append(renew)
    return next_trailer


def _make_pickler(base: Any, note_loads: Any, counter: Any = None) -> Any:
    """The trailing ForkingPickler of the connection or queues module; with `counter` ([msgs,
    bytes]), a Queue feeder's own, which counts what it pickles there (made in the process whose
    feeder thread it serves, so it is never forked: the others make their trailers anew after a
    fork)."""
    base_dumps = base.dumps
    base_loads = base.loads
    known = _known_dumps(base)
    join = b"".join
    tl = TLEN
    unpack = RAW_TRAILER.unpack_from
    magic = MAGIC_INT
    umagic = UNTIMED_INT
    BytesIO = io.BytesIO
    c = counter
    # The known dumps has trailer_source's function written into it (one frame less per message):
    # its countdown and run are these, made anew after a fork as trailer_source's are.
    skip = [0, 0, 0.0]
    run = repeat(b"", 0)

    def _renew() -> None:
        nonlocal run
        run = repeat(b"", 0)

    if known and c is None:
        E.on_reset.append(_renew)
    _trailer: Any = None if known else trailer_source(c is None)  # (the other dumps, below)

    class TrailedPickler(base):
        """ForkingPickler whose dumps appends the sender trailer (and, for the connection module,
        whose loads notes the trailer of what it reads, for the Connection.recv wrapper)."""

        if known:

            @staticmethod
            @sites.hidden
            def dumps(obj: Any, protocol: Any = None) -> Any:
                """The standard library's dumps with the trailer written into the same buffer
                (no copy). A payload that cannot be pickled is handed to the standard library's own
                dumps, which raises the same error with its own traceback (a Queue's feeder thread
                prints it)."""
                nonlocal run
                if not E.enabled:
                    return base_dumps(obj, protocol)
                f = BytesIO()
                try:
                    TrailedPickler(f, protocol).dump(obj)
                except Exception:
                    f = None  # (raised again below, outside this handler: no chained context)
                except BaseException as e:
                    sites.hide(e)
                    raise
                if f is None:
                    try:
                        return base_dumps(obj, protocol)
                    except BaseException as e:
                        sites.hide(e)
                        raise
                try:  # (trailer_source's next_trailer, written in)
                    n = f.tell()
                    t = next(run, None)
                    if t is None:
                        t = timed_trailer(skip)
                        run = repeat(_untimed[0], skip[0])
                    f.write(t)
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
            def dumps(obj: Any, protocol: Any = None) -> Any:  # (a classmethod in the base: cls is not needed to call it)
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
            def loads(data: Any, *args: Any, **kwargs: Any) -> Any:
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


def count_received(ref: Any, frm: Any, n: Any, _table: Any = recv_table) -> Any:
    """Counts one received message of n payload bytes from pid frm on channel ref; returns its
    `recv` counter [msgs, bytes, latSum, latMax, latN]."""
    key = (ref, frm)
    c = _table.get(key)
    if c is None:
        c = _table[key] = [0, 0, 0.0, 0.0, 0]
    c[0] += 1
    c[1] += n
    return c


def count_rx(ref: Any, rx: Any, tag: Any, _sampled: Any = E.rx_sampled) -> None:
    """Counts one received message whose trailer loads noted: rx = (fromPid, tSent, bytes); tSent
    is 0 when its sender did not time it. (A message not timed counts as dropped detail:
    events.counters_event adds msgs - latN.)"""
    frm, ts, n = rx
    c = count_received(ref, frm, n)
    if ts:
        _sampled(c, ref, frm, ts, n, tag)


def declare(kind: Any, ref: Any, refs: Any, site: Any, pool: Any = None, name: Any = None) -> None:
    E.emit(["chan", E.time(), {"ref": ref, "kind": kind, "name": name or site.name, "file": site.file, "line": site.line, "refs": refs, "pool": pool}])

