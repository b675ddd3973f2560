"""The runtime's API for recording (docs/runtime-protocol.md, "Events"): what the rest of the
runtime imports as `E` (E.enabled, E.emit, E.append, E.fail, E.wait_begin, E.flush, …), and when
recording starts and stops in a process and after fork.

It re-exports, as its own module globals, the parts that live in modules of their own:
  events     the event buffer, the counters, the detail budget, hook failures
  waits      the main thread's waits and the flusher's checks of them (stuck detection too)
  transport  batching, the flusher thread, the socket

`enabled`, `pid`, `main_ident` and `cfg` are this module's; `set_enabled` copies `enabled` and
`main_ident` to the modules whose hot paths read them as their own globals. After `fork`
everything is rebuilt in the child (`reset_after_fork`), before its first event.
"""

from __future__ import annotations

import os
import threading

from . import events, sites, transport, waits
from .events import (  # noqa: F401 - the API
    append, before_flush, budget, buf, call_times, calls, counters_event, fail, failures, get_ident, locks, misc, on_reset, paused, recv, sent,
    reaped_cpu, sleep, task_once, tasks, time, wake,
)
from .events import waits as waits_table  # noqa: F401 - what -> [seconds]
from .transport import (  # noqa: F401 - the API
    EXIT_DRAIN_S, LOCK_TIMEOUT, MAX_BACKLOG, Transport, after_fork_parent, before_fork, close_transport, drain_at_exit, flush,
    last_flush, resume, start_flusher, stop_flusher,
)
from .waits import (  # noqa: F401 - the API
    RX_CODES, RX_GETS, RX_LOCKS, SITE_AFTER, STUCK_AFTER, WAIT_SKIP_MAX, cur_wait, end_rx_claim, msg_wait_begin, msg_wait_end, msg_wait_end_tail,
    msg_wait_timed, rx_claim, wait_begin, wait_end, wait_end_claimed, wait_s, wait_skip,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

cfg: Any = None  # config.Config once started
pid = os.getpid()
main_ident: Optional[int] = get_ident()
enabled = False  # events are recorded only while True

# Send-side sampling (docs/runtime-protocol.md, "Sampling"): countdowns [left, run length, time of
# the last timed send] are kept per pickler (trailer.py): one per Queue feeder, one for the other
# queue puts, one for Connection.send, so a busy channel does not leave a quiet one of the same
# process untimed. Receive-side waits sample with waits.wait_skip.
TX_SKIP_MAX = 255
TX_FAST_S = 0.0005  # timed sends closer together than this lengthen the run


def set_enabled(on: bool, ident: Optional[int]) -> None:
    """The one place recording is turned on or off and the main thread named: this module's
    globals and the copies the hot paths of events and waits read."""
    global enabled, main_ident
    enabled = events.enabled = waits.enabled = on
    main_ident = waits.main_ident = ident


def emit(ev: Any) -> None:
    """Appends one event (a list starting with its type and time)."""
    if enabled:
        append(ev)
        if paused[0]:
            resume()


def then_record(orig: Callable[..., Any], what: str, record: Callable[..., None]) -> Callable[..., Any]:
    """The one shape of a wrapper that records after the call: `orig(*args, **kwargs)` unchanged for
    its caller (its result; its exception, with this frame hidden), then, while recording,
    `record(result, *args, **kwargs)`, whose own errors are contained (`fail(what, …)`)."""

    @sites.hidden
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            r = orig(*args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        if enabled:
            try:
                record(r, *args, **kwargs)
            except Exception as e:  # noqa: BLE001
                fail(what, e)
        return r

    call.__name__ = getattr(orig, "__name__", what)  # os.waitpid's wrapper is named waitpid, as the builtin is
    call.__qualname__ = getattr(orig, "__qualname__", call.__name__)
    return call


def detail(ev: Any) -> None:
    """Appends a detail event when the per-process budget allows it, else counts it as dropped."""
    if budget[0] >= 1.0:
        budget[0] -= 1.0
        misc["detail"] += 1
        append(ev)
    else:
        misc["dropped"] += 1


def tx_timed(s: Any, _max: Any = TX_SKIP_MAX) -> Any:
    """A send whose message is timed: returns the send time, and sets the length of the next run
    of untimed sends in countdown s (doubling while timed sends come less than TX_FAST_S apart,
    else halving)."""
    now = time()
    k = s[1]
    if now - s[2] < TX_FAST_S:
        k = k * 2 + 1
        if k > _max:
            k = _max
    else:
        k >>= 1
    s[0] = s[1] = k
    s[2] = now
    return now


def rx_sampled(c: Any, ref: Any, frm: Any, ts: Any, n: Any, tag: Any) -> None:
    """A received message its sender timed: its latency into its `recv` counter c (latSum, latMax,
    latN) and an `m` detail event if the budget allows."""
    now = time()
    lat = now - ts
    if lat < 0.0:
        lat = 0.0
    c[2] += lat
    if lat > c[3]:
        c[3] = lat
    c[4] += 1
    if budget[0] >= 1.0:
        budget[0] -= 1.0
        misc["detail"] += 1
        append(["m", now, ref, frm, ts, n, tag])
    else:
        misc["dropped"] += 1



def reset_after_fork() -> None:
    """In a fork child: fresh buffer, counters, waits and connection; no thread until it is needed."""
    global pid
    pid = os.getpid()
    set_enabled(enabled, get_ident())
    transport.reset_after_fork()
    events.clear()
    waits.reset()
    budget[0] = float(cfg.detail_rate) * 0.1 if cfg else 0.0
    _run_on_reset()


def _run_on_reset() -> None:
    for f in on_reset:
        try:
            f()
        except Exception as e:  # noqa: BLE001
            fail("reset", e)


def start(config: Any) -> None:
    """Turns recording on in this process (no connection until the first flush)."""
    global cfg, pid
    cfg = config
    pid = os.getpid()
    transport.open_transport(cfg)
    budget[0] = float(cfg.detail_rate) * 0.1
    wait_s[0] = cfg.wait_ms / 1000.0
    set_enabled(True, threading.main_thread().ident)
    _run_on_reset()


def stop() -> None:
    """Turns recording off and closes the connection (uninstall, or a process beyond the cap)."""
    flush()
    set_enabled(False, main_ident)
    stop_flusher()
    close_transport()
