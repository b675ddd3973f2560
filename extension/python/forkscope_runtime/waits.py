"""The main thread's waits (docs/runtime-protocol.md, "Waits", "Blocked sites"): the calls that
mark it waiting (wait_begin/end, the message waits and their sampling countdown), and the
flusher's side of them: lazy `w` events for waits that lasted, untimed queue gets found blocked
from the stack, call sites of long waits, and where the main thread stays outside any wait.

`enabled` and `main_ident` are copies of emitter's (emitter.set_enabled keeps them equal): the
hot paths here read them as module globals.
"""

from __future__ import annotations

import array
import os
import sys
import threading
import time as _time

from . import sites
from .events import append, get_ident, paused, sleep, time, wake
from .events import waits as wait_times

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Set

enabled = False
main_ident: Any = threading.main_thread().ident
_clock_gettime: Any = getattr(_time, "clock_gettime", None)
_cpu_clock: Any = getattr(_time, "pthread_getcpuclockid", None)

# The main thread's current wait: [what, ref, detail, tBegin, claim, emitted(, sampled)] or None.
# `claim` holds one token: whoever pops it (the waiting thread or the flusher) reports the wait.
# tBegin is None for an untimed message wait until the flusher first sees it (msg_wait_begin).
cur_wait: List[Any] = [None]
wait_s = [0.001]  # waitMs in seconds
SITE_AFTER = 0.2  # a wait that has lasted this long gets its call site (`ws`), looked up by the flusher
_sited: List[Any] = [None]  # the wait whose call site was last looked up

# Sampling of per-message timing (docs/runtime-protocol.md, "Sampling"). Counts stay exact; the
# clock is read only on sampled messages. Each is a countdown [calls left untimed, run length]:
# after a sampled call that found the channel busy (a short wait, a message sent soon after the
# last timed one) the run of untimed calls doubles up to its cap; a long wait or a slow message
# ends it. Messages are timed by their sender (trailer.py: a timed trailer carries the send
# time, an untimed one does not); every timed message is timed by its receiver too.
WAIT_SKIP_MAX = 63
wait_skip = [0, 0]
# The send side's countdowns: emitter.tx_timed.

# Untimed queue gets (queues._make_rx) do not mark the main thread as waiting: the flusher
# looks at its stack instead (_check_rx_wait). RX_CODES: the code of those receive wrappers.
RX_CODES: Set[Any] = set()
# The standard library's gets with the count written in (queues._inline_get): code -> the lines of
# their receive calls. Found in one of those lines, a get is blocked in its receive; elsewhere it is
# taking its read lock (a recorded wait of its own) or unpickling.
RX_GETS: Dict[Any, Any] = {}
# ...and the lines of their `with` on the read lock, which they take in C (no frame above theirs), with
# the offset their body starts at: a get found there, before it, is waiting for its read lock.
RX_LOCKS: Dict[Any, Any] = {}
rx_claim: List[Any] = [None]  # the untimed get the flusher found blocked and emitted as a wait: its end is the call's
_rx_seen = [None, 0.0]  # the frame of an untimed get the flusher saw blocked at its last tick, and when


def wait_begin(what: Any, ref: Any = None, text: Any = None) -> Any:
    """Marks the main thread as waiting; returns a token for wait_end, or None (nested, other thread, off)."""
    if cur_wait[0] is not None or get_ident() != main_ident or not enabled:
        return None
    if paused[0]:
        wake[0]()
    w = [what, ref, text, time(), [1], False]
    cur_wait[0] = w
    return w


def wait_end(w: Any) -> None:
    """Ends a wait: `we` when the flusher already emitted its `w`; a wait that lasted waitMs is
    emitted here with both ends; a shorter one only adds its time to the `waits` counter.

    Whoever pops the wait's claim token (this thread or the flusher) decides how it is reported,
    so no lock is needed on this path."""
    if w is None:
        return
    t = time()
    cur_wait[0] = None
    try:
        w[4].pop()
    except IndexError:  # the flusher claimed it
        wait_end_claimed(w, t)
        return
    d = t - w[3]
    if d >= wait_s[0]:
        append(["w", w[3], w[0], w[1], w[2]])
        append(["we", t])
    else:
        c = wait_times.get(w[0])
        if c is None:
            wait_times[w[0]] = [d]
        else:
            c[0] += d


def msg_wait_begin(what: Any, ref: Any) -> Any:
    """wait_begin for the waits of message calls (Queue.get, Connection.recv, a bounded put): the
    clock is read on sampled calls only. An untimed wait gets its start from the flusher, which
    stamps it when it first sees it and emits it once it has lasted waitMs from there."""
    if cur_wait[0] is not None or get_ident() != main_ident or not enabled:
        return None
    if paused[0]:
        wake[0]()
    k = wait_skip[0]
    if k:
        wait_skip[0] = k - 1
        w = [what, ref, None, None, [1], False, False]
    else:
        w = [what, ref, None, time(), [1], False, True]
    cur_wait[0] = w
    return w


def msg_wait_timed(what: Any, ref: Any) -> Any:
    """The timed call of a message wait whose caller keeps the `wait_skip` countdown itself (a
    queue's get, channels._make_rx): a timed wait token, or None off the main thread (which then
    leaves the next calls untimed), when nested, or when recording is off."""
    if cur_wait[0] is not None or not enabled:
        return None
    if get_ident() != main_ident:
        wait_skip[0] = WAIT_SKIP_MAX
        return None
    if paused[0]:
        wake[0]()
    w = cur_wait[0] = [what, ref, None, time(), [1], False, True]
    return w


def end_rx_claim() -> None:
    """The end of an untimed get that the flusher emitted as a wait (_check_rx_wait), called by
    the receive wrapper that found rx_claim set: only the main thread's call ends it."""
    w = rx_claim[0]
    if w is None or get_ident() != main_ident:
        return
    rx_claim[0] = None
    if cur_wait[0] is w:
        cur_wait[0] = None
    wait_skip[0] = wait_skip[1] = 0  # a long wait: time the next calls
    append(["we", time()])
    if paused[0]:
        wake[0]()


def msg_wait_end(w: Any) -> None:
    """Ends a wait begun by msg_wait_begin (see msg_wait_end_tail)."""
    if w is None:
        return
    cur_wait[0] = None
    try:
        w[4].pop()
    except IndexError:
        msg_wait_end_tail(w, False)
        return
    if w[6] or w[3] is not None:
        msg_wait_end_tail(w, True)


def msg_wait_end_tail(w: Any, mine: Any, _max: Any = WAIT_SKIP_MAX) -> None:
    """The slow end of a message wait: it was sampled, or the flusher saw it (claimed it, or
    stamped its start). `mine` is False when the flusher claimed it. A sampled short wait counts
    for itself and for the untimed calls after it in `waits`."""
    t = time()
    if not mine:
        wait_skip[0] = wait_skip[1] = 0
        wait_end_claimed(w, t)
        return
    d = t - w[3]
    if d >= wait_s[0]:
        wait_skip[0] = wait_skip[1] = 0
        append(["w", w[3], w[0], w[1], w[2]])
        append(["we", t])
        return
    n = 0
    if w[6]:  # sampled at its start (else the flusher stamped it: no run from it)
        n = wait_skip[1] * 2 + 1
        if n > _max:
            n = _max
        wait_skip[0] = wait_skip[1] = n
    c = wait_times.get(w[0])
    if c is None:
        wait_times[w[0]] = [d * (n + 1)]
    else:
        c[0] += d * (n + 1)



def wait_end_claimed(w: Any, t: Any) -> None:
    """The flusher emitted this wait's `w`: wait until it is in the buffer, then end it."""
    k = 0
    while not w[5] and k < 200:
        sleep(0.0001)
        k += 1
    append(["we", t])
    if paused[0]:  # (the flusher may rest during a long wait)
        wake[0]()


def _check_wait(now: float) -> None:
    """Flusher side of the lazy waits: emit `w` (with its real start) for a wait that has lasted."""
    w = cur_wait[0]
    if w is None:
        return
    t0 = w[3]
    if t0 is None:  # an untimed message wait: it began at the latest now
        w[3] = now
        return
    if now - t0 < wait_s[0]:
        return
    try:
        w[4].pop()
    except IndexError:
        return
    append(["w", t0, w[0], w[1], w[2]])
    w[5] = True


RX_DEPTH = 6  # how far below the innermost frame an untimed receive wrapper is looked for


def _check_rx_wait(now: float) -> None:
    """Flusher side of untimed queue gets: the main thread is found in one (a receive wrapper's code,
    a get of RX_GETS at one of its receive lines, in the innermost RX_DEPTH frames, or such a get as
    the innermost frame taking its read lock, RX_LOCKS) at two ticks
    in a row, in the same call (the same frame object: the one seen last is held, so a later call
    cannot reuse it), so it has waited since the first: emit its `w` from then, and leave the end to
    the call (rx_claim, end_rx_claim)."""
    if cur_wait[0] is not None or rx_claim[0] is not None or not (RX_CODES or RX_GETS):
        _rx_seen[0] = None
        return
    f = sys._current_frames().get(main_ident)
    k = 0
    while f is not None and k < RX_DEPTH:
        code = f.f_code
        if code in RX_CODES:
            break
        lines = RX_GETS.get(code)
        if lines is not None:
            if k:
                if f.f_lineno in lines:
                    break
            else:
                lk = RX_LOCKS.get(code)
                if lk is not None and f.f_lasti < lk[1] and f.f_lineno in lk[0]:
                    break
            f = None
            break
        f = f.f_back
        k += 1
    if f is None or k == RX_DEPTH:
        _rx_seen[0] = None
        return
    if _rx_seen[0] is not f:
        _rx_seen[0] = f
        _rx_seen[1] = now
        return
    _rx_seen[0] = None
    loc = f.f_locals
    ref = loc.get("ref") if f.f_code in RX_CODES else getattr(loc.get("self"), "_fk_ref", None)
    t0 = _rx_seen[1]
    w = ["queue.get", ref, None, t0, [], True, False]  # claim token taken: _check_wait leaves it be
    append(["w", t0, "queue.get", ref, None])
    rx_claim[0] = w
    cur_wait[0] = w  # for its call site (_check_wait_site)


def _check_wait_site(now: float) -> None:
    """Flusher side: for a wait of the main thread that has lasted SITE_AFTER (and whose `w` is out),
    a `ws` event with the user's line it waits in. One frame walk per long wait, never on the hot path."""
    w = cur_wait[0]
    if w is None or w is _sited[0] or not w[5] or now - w[3] < SITE_AFTER:
        return
    _sited[0] = w
    file, line = sites.wait_site(sys._current_frames().get(main_ident))
    if file is not None and cur_wait[0] is w:
        append(["ws", now, w[3], file, line])


# Where the main thread stays outside any recorded wait (docs/runtime-protocol.md, "Blocked
# sites"): the flusher compares the innermost frame (its id, code and instruction) tick to tick; one
# that has not moved for STUCK_AFTER is reported once (`bk`, from when it was first seen) and its end
# when it moves (`bke`). The supervisor's OS samples say whether the process was asleep there
# (blocked) or computing in one C call (running): this only names the place.
#
# A tick keeps no new object alive: the frame's id and instruction and the time go into arrays as
# raw values (the code object is the script's own). An int or float the flusher kept from one tick
# to the next, every 20 ms, is enough to put a CPU-bound loop on the main thread into a slow state
# of Python's small-object allocator: ~10 % more CPU for the same bytecode (docs/cli.md, "A worker's
# loop can run slower…").
#
# A frame that has not moved is not always asleep: a loop that calls one function again and again can
# show the same frame (a freed frame's address reused) at the same instruction (where the eval loop
# lets another thread take the GIL) at every tick. So before reporting, the main thread's own CPU
# time is read (its thread CPU clock): one that spent more than a tenth of the time since on a CPU was
# computing, and the check starts over from now.
STUCK_AFTER = 0.2
STUCK_DEPTH = 32  # how far up the stack a known place (a Queue's exit flush) is looked for
COMPUTING = 0.1  # share of the time on a CPU above which the main thread was computing (asleep: ~0), not blocked
_stuck = [None, False]  # the innermost frame's code seen last (None: nothing seen), reported
_seen = array.array("q", [0, 0])  # that frame's id and instruction
_since = array.array("d", [0.0, -1.0])  # since when it has been there; the main thread's CPU time then (-1: unknown)


def _main_cpu() -> float:
    """The main thread's CPU seconds (its thread CPU clock), or -1.0 where the OS cannot say."""
    try:
        return _clock_gettime(_cpu_clock(main_ident))
    except Exception:
        return -1.0


def _stuck_end(now: float) -> None:
    if _stuck[1]:
        append(["bke", now])
    _stuck[0] = None
    _stuck[1] = False


def _check_stuck(now: float) -> None:
    """Flusher side: reports where the main thread has stayed, outside recorded waits, for STUCK_AFTER."""
    if cur_wait[0] is not None or rx_claim[0] is not None:
        if _stuck[0] is not None:
            _stuck_end(now)
        return
    f = sys._current_frames().get(main_ident)
    if f is None:
        if _stuck[0] is not None:
            _stuck_end(now)
        return
    fid = id(f)
    lasti = f.f_lasti
    code = f.f_code
    if _stuck[0] is not code or _seen[0] != fid or _seen[1] != lasti:
        if _stuck[0] is not None:
            _stuck_end(now)
        _stuck[0] = code
        _seen[0] = fid
        _seen[1] = lasti
        _since[0] = now
        _since[1] = _main_cpu()
        return
    if _stuck[1] or now - _since[0] < STUCK_AFTER:
        return
    cpu = _main_cpu()
    if cpu >= 0.0 and _since[1] >= 0.0 and cpu - _since[1] > COMPUTING * (now - _since[0]):
        _since[0] = now  # computing there, not blocked: start over
        _since[1] = cpu
        return
    _stuck[1] = True
    what, ref, text = _stuck_place(f)
    file = line = None
    if what == "frame":  # (an exit flush has no line of the user's on its stack that says more)
        file, line = sites.wait_site(f)
        if file is None:
            file, line = f.f_code.co_filename, f.f_lineno
    append(["bk", now, _since[0], what, ref, text, file, line])


def _stuck_place(f: Any) -> Any:
    """(what, ref, detail) of a place the main thread stays: a Queue's exit flush (`exit-flush`, the
    queue's ref), else `frame` and the innermost function's name."""
    g = f
    k = 0
    while g is not None and k < STUCK_DEPTH:
        code = g.f_code
        if code.co_name == "_finalize_join" and code.co_filename.endswith("queues.py"):
            ref = None
            try:
                thread = g.f_locals["twr"]()
                ref = getattr(thread._args[2].__self__, "_fk_qref", None)
            except Exception:
                pass
            return "exit-flush", ref, "exiting: waiting for its Queue's feeder thread to flush"
        g = g.f_back
        k += 1
    code = f.f_code
    name = getattr(code, "co_qualname", code.co_name)
    mod = os.path.basename(code.co_filename)
    if mod.endswith(".py"):
        mod = mod[:-3]
    return "frame", None, "%s.%s" % (mod, name) if mod and not mod.startswith("<") else name



def waiting_call(orig: Callable[..., Any], what: str, ref_of: Optional[Callable[[Any], Any]] = None) -> Callable[..., Any]:
    """The one shape of a blocking method's wrapper: `orig(self, …)` run as a `what` wait of the
    main thread (`ref_of(self)` its ref), its own frame hidden from the tracebacks it passes."""

    @sites.hidden
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        w = wait_begin(what, ref_of(self) if ref_of is not None else None, None)
        try:
            return orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            wait_end(w)

    return call


def check(now: float) -> None:
    """The flusher's tick: every check above, in order."""
    _check_wait(now)
    _check_rx_wait(now)
    _check_wait_site(now)
    _check_stuck(now)


def reset() -> None:
    """In a fork child: no wait of the parent's is this process's."""
    cur_wait[0] = None
    _sited[0] = None
    wait_skip[0] = wait_skip[1] = 0
    rx_claim[0] = None
    _rx_seen[0] = None
    _stuck[0] = None
    _stuck[1] = False
