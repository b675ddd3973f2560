"""What a process has to say, before it is sent: the event buffer, the exact counters, the detail
budget and hook failures. The bottom of the runtime: waits.py, transport.py and emitter.py (the API
the rest imports) build on it; it imports nothing of the runtime.

Hot paths only append to the deque or bump a counter list. `enabled` here is a copy of
emitter.enabled (emitter.set_enabled keeps them equal), read by `fail`.
"""

from __future__ import annotations

import array
import collections
import threading
import time as _time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

time = _time.time
sleep = _time.sleep  # the real one, for the runtime's own use (time.sleep may be patched)
get_ident = threading.get_ident

enabled = False

buf: "collections.deque[Any]" = collections.deque()
append = buf.append

# Counters (exact, cumulative). Values are lists mutated in place.
sent = {}  # ref -> [msgs, bytes]
recv = {}  # (ref, fromPid) -> [msgs, bytes, latSum, latMax, latN] (latency of the latN sampled messages)
locks = {}  # ref -> [acquisitions, contended, contendedSeconds]
waits = {}  # what -> [seconds]
tasks = {}  # (ref, job) -> [chunks, items, busySeconds]
calls = {}  # (ref, method) -> [count]
call_times = {}  # (ref, method) -> [timed, seconds, maxSeconds] (Manager proxy calls' round trips)
# pid -> CPU seconds of a child this process reaped, all of it (its interpreter's teardown and the
# kernel's exit too, which its own `exit` event is taken before), from the rusage of the wait that
# reaped it (children.py): kept until its `reap` event carries it.
reaped_cpu: Dict[int, float] = {}
misc = {"detail": 0, "dropped": 0, "droppedBatches": 0}

# (section, key) -> last value emitted
_last: Dict[Any, Any] = {("misc", "detail"): 0, ("misc", "dropped"): 0, ("misc", "droppedBatches"): 0}

# Tasks whose job comes once (a ProcessPoolExecutor's or loky's work item: one task per job id), in
# raw arrays rather than in `tasks`: an entry made per task and kept for the rest of the run (a key,
# a list, a float, and their last value sent) was enough to put a CPU-bound worker's next calls into
# a slow state of Python's small-object allocator, 20-40 % slower, in half of a joblib run's calls
# (docs/cli.md, "A worker's loop can run slower…"). Here a task keeps no Python object: its pool's
# ref by index, its job, items and busy seconds as machine numbers. A `ctr` event carries each one
# once, as a `tasks` entry [1, items, busySeconds]; all are carried again after a lost batch.
once_refs: List[Any] = []  # the pool refs, by index
_once_index: Dict[Any, int] = {}
once_ref = array.array("q")
once_job = array.array("q")
once_items = array.array("q")
once_busy = array.array("d")  # appended last: its length is the number of tasks complete in all four
once_sent = array.array("q", [0])  # how many a `ctr` event has carried


def task_once(ref: Any, job: int, items: int, busy: float) -> None:
    """Counts one task of a job that comes once (see once_refs)."""
    i = _once_index.get(ref)
    if i is None:
        i = _once_index[ref] = len(once_refs)
        once_refs.append(ref)
    once_ref.append(i)
    once_job.append(job)
    once_items.append(items)
    once_busy.append(busy)


# The kinds of detail events (docs/runtime-protocol.md): sampled, under the budget below; the
# flusher sends a buffer of these alone (with the counters) less often (transport._due).
DETAIL_KINDS = frozenset(("m", "task", "hold"))

# Detail budget, refilled by the flusher: budget[0] is what may still be emitted. An array holds the
# raw value, so the flusher's refill keeps no new float alive between ticks (waits.py, "A tick").
budget = array.array("d", [0.0])

# The flusher is not ticking at its rate: False while it is; True when it was stopped around a fork;
# RESTING while a quiet process's flusher ticks every REST_MS only (transport._run_flusher). Either
# way the next event, wait or timed message of the main thread calls wake[0]: it restarts the thread,
# or rings it out of its rest.
RESTING = 2
paused: List[Any] = [False]
wake: List[Callable[[], None]] = [lambda: None]  # transport.resume, set when transport is imported

on_reset: List[Callable[[], None]] = []  # run when recording starts in a process and after fork (channels: its trailers)
before_flush: List[Callable[[bool], None]] = []  # run by each flush before it takes the buffer (output: its pending text); given whether the flusher thread's periodic flush
failures: Dict[str, int] = {}  # where -> count (hook failures, each warned once)


def forget_counters() -> None:
    """Every counter is sent again in full with the next `ctr` event (a batch was lost)."""
    _last.clear()
    once_sent[0] = 0
    for k in misc:
        _last[("misc", k)] = 0


def clear() -> None:
    """In a fork child: the parent's buffer, counters and failures are not this process's."""
    buf.clear()
    for table in (sent, recv, locks, waits, tasks, calls, call_times, _once_index, reaped_cpu):
        table.clear()
    del once_refs[:]
    for a in (once_ref, once_job, once_items, once_busy):
        del a[:]
    for k in misc:
        misc[k] = 0
    forget_counters()
    failures.clear()


def fail(where: Any, exc: Any = None) -> None:
    """A hook failed: count it and warn once per place; never raise."""
    try:
        n = failures.get(where, 0)
        failures[where] = n + 1
        if n == 0 and enabled:
            text = "%s: %s" % (type(exc).__name__, exc) if exc is not None else "failed"
            append(["warn", time(), "runtime-error", "Forkscope hook %s failed (%s); the script was not affected." % (where, text[:300])])
    except Exception:
        pass



# ---- counters ------------------------------------------------------------------------------


def _section(name: Any, table: Any, keyfmt: Any, out: Any, now_rounding: Any = None) -> None:
    part = None
    for k, v in list(table.items()):
        val: Any = tuple(v)
        lk = (name, k)
        if _last.get(lk) != val:
            _last[lk] = val
            if part is None:
                part = out[name] = {}
            if now_rounding:
                val = [round(x, 6) if isinstance(x, float) else x for x in val]
            part[keyfmt(k)] = list(val) if len(val) > 1 else val[0]


def _once_section(out: Any) -> None:
    """The tasks counted by task_once that no `ctr` event has carried yet, into its `tasks` part."""
    n = len(once_busy)
    i = once_sent[0]
    if i >= n:
        return
    part = out.get("tasks")
    if part is None:
        part = out["tasks"] = {}
    refs = once_refs
    for j in range(i, n):
        part["%s %d" % (refs[once_ref[j]], once_job[j])] = [1, once_items[j], round(once_busy[j], 6)]
    once_sent[0] = n


def _str_key(k: Any) -> Any:
    return k


def _pair_key(k: Any) -> Any:
    return "%s %s" % k


def counters_event(now: float) -> Any:
    """A `ctr` event with the counters that changed since the last one, or None."""
    out = {}
    _section("sent", sent, _str_key, out)
    _section("recv", recv, _pair_key, out, True)
    _section("locks", locks, _str_key, out, True)
    _section("waits", waits, _str_key, out, True)
    _section("tasks", tasks, _pair_key, out, True)
    _once_section(out)
    _section("calls", calls, _pair_key, out)
    _section("callTimes", call_times, _pair_key, out, True)
    untimed = 0  # received messages not timed (sampling) count as dropped detail too
    for c in list(recv.values()):
        untimed += c[0] - c[4]
    for k in ("detail", "dropped", "droppedBatches"):
        v = misc[k]
        if k == "dropped":
            v += untimed
        if _last.get(("misc", k)) != v:
            _last[("misc", k)] = v
            out[k] = v
    return ["ctr", now, out] if out else None

