"""multiprocessing managers.

A Manager's traffic is proxy calls over Connections. Both ends are tagged
with the `m<address>` channel ref so they are counted as the Manager's
channel, not as anonymous pipes: the client side through the `Client`
function managers use (`listener_client`), the server side in
`Server.handle_request` (every accepted connection passes there).
`BaseProxy._callmethod` counts calls per method name (`calls` counters) and
records a `manager` wait of the main thread; `BaseManager.start` declares the
`manager` channel. The server process itself is recognised by its target
(`_run_server`) as role `manager`.
"""

from __future__ import annotations

from . import emitter as E
from . import sites
from .patching import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def address_ref(address: Any) -> Any:
    """The channel ref of a Manager address: "m" + path, or "m" + host:port."""
    if isinstance(address, (tuple, list)) and len(address) == 2:
        return "m%s:%s" % (address[0], address[1])
    if isinstance(address, bytes):
        address = address.decode("utf-8", "replace")
    return "m%s" % (address,)


def _make_client(orig: Callable[..., Any]) -> Any:
    def connected(c: Any, address: Any, *args: Any, **kwargs: Any) -> None:
        c._fk_ref = address_ref(address)
        c._fk_mc = True

    return E.then_record(orig, "manager.Client", connected)


def _make_handle_request(orig: Callable[..., Any]) -> Any:
    def handle_request(self, c: Any, *args: Any, **kwargs: Any) -> Any:
        if E.enabled:
            try:
                c._fk_ref = address_ref(self.address)
                c._fk_ms = True
            except Exception as e:  # noqa: BLE001
                E.fail("manager.Server", e)
        return orig(self, c, *args, **kwargs)

    return handle_request


def _make_callmethod(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def _callmethod(self, methodname: Any, args: Any = (), kwds: Any = {}) -> Any:  # noqa: B006 - same signature as the original
        w = None
        key = None
        if E.enabled:
            try:
                ref = address_ref(self._token.address)
                key = (ref, methodname)
                c = E.calls.get(key)
                if c is None:
                    E.calls[key] = [1]
                else:
                    c[0] += 1
                conn = getattr(self._tls, "connection", None)
                if conn is not None:
                    conn._fk_call = methodname  # the reply's tag
                w = E.wait_begin("manager", ref, methodname)
            except Exception as e:  # noqa: BLE001
                E.fail("manager.call", e)
        t0 = E.time() if key is not None else 0.0
        try:
            return orig(self, methodname, args, kwds)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            E.wait_end(w)
            if key is not None:
                _call_time(key, E.time() - t0)

    return _callmethod


def _call_time(key: Any, d: Any) -> None:
    """A call's round trip (every call is timed: a proxy call costs a socket round trip, two clock
    reads are nothing next to it): `callTimes` counter [calls timed, seconds, max seconds]."""
    c = E.call_times.get(key)
    if c is None:
        E.call_times[key] = [1, d, d]
    else:
        c[0] += 1
        c[1] += d
        if d > c[2]:
            c[2] = d


def _make_start(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def start(self, *args: Any, **kwargs: Any) -> Any:
        site = None
        if E.enabled:
            try:
                site = sites.user_site(2)
            except Exception as e:  # noqa: BLE001
                E.fail("Manager", e)
        try:
            r = orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        if site is not None and E.enabled:
            try:
                ref = address_ref(self._address)
                E.emit(["chan", E.time(), {"ref": ref, "kind": "manager", "name": site.name, "file": site.file, "line": site.line, "refs": [ref], "pool": None}])
                E.flush()
            except Exception as e:  # noqa: BLE001
                E.fail("Manager", e)
        return r

    return start


def _patch(managers: Any) -> None:
    lc = managers.listener_client
    if "pickle" in lc:
        listener, client = lc["pickle"]
        new = (listener, _make_client(client))
        replace(managers, "listener_client", dict(lc, pickle=new))
        # BaseManager and BaseProxy read the dict at call time through the module global.
    S = managers.Server
    replace(S, "handle_request", _make_handle_request(S.handle_request))
    BP = managers.BaseProxy
    replace(BP, "_callmethod", _make_callmethod(BP._callmethod))
    BM = managers.BaseManager
    replace(BM, "start", _make_start(BM.start))
