"""Pipe and Connection: the send hook (counting under the connection's ref), `Connection.recv`
(its wait and the count of the trailer its loads noted), and `Pipe` (declaring user pipes)."""

from __future__ import annotations

from . import emitter as E
from . import sites
from .patching import replace
from .trailer import QUIET, TLEN, _last_dumped, _make_pickler, _rx, conn_ref, count_rx, declare, sent_table, trailed_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List


def _make_send_bytes(orig: Callable[..., Any]) -> Any:
    trailed = trailed_at
    tl = TLEN
    table = sent_table
    last = _last_dumped
    memoryview_ = memoryview

    @sites.hidden
    def _send_bytes(self, buf: Any) -> Any:
        ref = self._fk_ref
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


def _make_conn_recv(orig: Callable[..., Any]) -> Any:
    cur_wait = E.cur_wait
    begin = E.msg_wait_begin
    end = E.msg_wait_end

    @sites.hidden
    def recv(self) -> Any:
        w = None
        if cur_wait[0] is None:
            r = self._fk_ref
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
                    ref = self._fk_ref or conn_ref(self)
                    if ref is not QUIET:
                        tag = self._fk_tag
                        if self._fk_ms:
                            tag = obj[1] if type(obj) is tuple and len(obj) == 4 and isinstance(obj[1], str) else None
                        elif self._fk_mc:
                            tag = self._fk_call
                        count_rx(ref, rx, tag)
                except Exception as e:  # noqa: BLE001
                    E.fail("Connection.recv", e)
        return obj

    return recv



def _make_pipe(orig: Callable[..., Any]) -> Any:
    def made(ends: Any, *args: Any, **kwargs: Any) -> None:
        c1, c2 = ends
        site = sites.user_site(2)
        if not site.internal:
            r1, r2 = conn_ref(c1), conn_ref(c2)
            declare("pipe", r1, [r1, r2] if r2 != r1 else [r1], site)
        elif site.file and site.file.endswith("managers.py"):
            # BaseManager.start's private pipe (the server's address): plumbing, not counted
            c1._fk_ref = c2._fk_ref = QUIET

    return E.then_record(orig, "Pipe", made)



_plain_send_bytes: List[Any] = [None]  # Connection._send_bytes as the standard library has it

# What the runtime notes on a Connection, as attributes of the object itself, with these class
# defaults (None): its channel ref (`_fk_ref`: QUIET for plumbing), the tag of what it receives
# (`_fk_tag`), a Manager server's end (`_fk_ms`), a Manager client's end (`_fk_mc`) and the call
# its reply answers (`_fk_call`). See patching.py on why never through the object's `__dict__`.
CONN_ATTRS = ("_fk_ref", "_fk_tag", "_fk_ms", "_fk_mc", "_fk_call")



def _patch_connection(connection: Any) -> None:
    replace(connection, "_ForkingPickler", _make_pickler(connection._ForkingPickler, True))
    C = connection.Connection
    _plain_send_bytes[0] = C._send_bytes
    replace(C, "_send_bytes", _make_send_bytes(C._send_bytes))
    CB = connection._ConnectionBase
    for name in CONN_ATTRS:
        replace(CB, name, None)
    replace(CB, "recv", _make_conn_recv(CB.recv))
    replace(connection, "Pipe", _make_pipe(connection.Pipe))

