"""How events leave a process: the buffer, the counters, the lazy waits, the
flusher thread and the Unix-socket transport (docs/runtime-protocol.md,
"Connection" and "Events").

Hot paths only append to a deque or bump a counter list; a daemon thread
flushes every `flushMs` (and lifecycle hooks flush at once from their own
thread). The socket is non-blocking: a bounded backlog, whole batches dropped
and counted beyond it, and once the supervisor is gone nothing is tried again.
Every lock here is taken with a timeout. After `fork` everything is rebuilt in
the child (`reset_after_fork`), before its first event. The flusher thread is
stopped around `os.fork()` when it is the only other thread, so Python 3.12+
does not warn about forking a multi-threaded process because of us.
"""

import collections
import json
import os
import _socket  # the C module: `socket` costs every process ~3 ms to import, and nothing here needs it
import sys
import threading
import time as _time

from . import sites

time = _time.time
sleep = _time.sleep  # the real one, for the runtime's own use (time.sleep may be patched)
get_ident = threading.get_ident

MAX_BACKLOG = 8 * 1024 * 1024
LOCK_TIMEOUT = 0.5

cfg = None  # config.Config once started
pid = os.getpid()
main_ident = get_ident()
enabled = False  # events are recorded only while True

buf = collections.deque()
append = buf.append

# Counters (exact, cumulative). Values are lists mutated in place.
sent = {}  # ref -> [msgs, bytes]
recv = {}  # (ref, fromPid) -> [msgs, bytes, latSum, latMax, latN] (latency of the latN sampled messages)
locks = {}  # ref -> [acquisitions, contended, contendedSeconds]
waits = {}  # what -> [seconds]
tasks = {}  # (ref, job) -> [chunks, items, busySeconds]
calls = {}  # (ref, method) -> [count]
call_times = {}  # (ref, method) -> [timed, seconds, maxSeconds] (Manager proxy calls' round trips)
misc = {"detail": 0, "dropped": 0, "droppedBatches": 0}
_last = {("misc", "detail"): 0, ("misc", "dropped"): 0, ("misc", "droppedBatches"): 0}  # (section, key) -> last value emitted

# Detail budget, refilled by the flusher: budget[0] is what may still be emitted.
budget = [0.0]

# The main thread's current wait: [what, ref, detail, tBegin, claim, emitted(, sampled)] or None.
# `claim` holds one token: whoever pops it (the waiting thread or the flusher) reports the wait.
# tBegin is None for an untimed message wait until the flusher first sees it (msg_wait_begin).
cur_wait = [None]
wait_s = [0.001]  # waitMs in seconds
SITE_AFTER = 0.2  # a wait that has lasted this long gets its call site (`ws`), looked up by the flusher
_sited = [None]  # the wait whose call site was last looked up

# Sampling of per-message timing (docs/runtime-protocol.md, "Sampling"). Counts stay exact; the
# clock is read only on sampled messages. Each is a countdown [calls left untimed, run length]:
# after a sampled call that found the channel busy (a short wait, a message sent soon after the
# last timed one) the run of untimed calls doubles up to its cap; a long wait or a slow message
# ends it. Messages are timed by their sender (channels.py: a timed trailer carries the send
# time, an untimed one does not); every timed message is timed by its receiver too.
WAIT_SKIP_MAX = 63
TX_SKIP_MAX = 255
TX_FAST_S = 0.0005  # timed sends closer together than this lengthen the run
wait_skip = [0, 0]
# Send-side countdowns [left, run length, time of the last timed send] are kept per pickler
# (channels.py): one per Queue feeder, one for the other queue puts, one for Connection.send, so a
# busy channel does not leave a quiet one of the same process untimed.

# Untimed queue gets (channels._make_rx) do not mark the main thread as waiting: the flusher
# looks at its stack instead (_check_rx_wait). RX_CODES: the code of those receive wrappers.
RX_CODES = set()
rx_claim = [None]  # the untimed get the flusher found blocked and emitted as a wait: its end is the call's
_rx_seen = [None, 0.0]  # the frame of an untimed get the flusher saw blocked at its last tick, and when
on_reset = []  # callables run when recording starts in a process and after fork (channels: its trailers)
_flush_lock = threading.Lock()

last_flush = [0.0]  # when the last flush started
failures = {}  # where -> count (hook failures, each warned once)

_transport = None
_thread = None
_stop = None
_ticks = 0


class Transport:
    """One non-blocking stream connection to the supervisor, opened lazily with the hello."""

    def __init__(self):
        self.sock = None
        self.dead = False
        self.backlog = bytearray()

    def _connect(self):
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.settimeout(1.0)
            s.connect(cfg.socket)
            hello = {"hello": 1, "secret": cfg.secret, "pid": pid, "ppid": os.getppid()}
            s.sendall(json.dumps(hello).encode() + b"\n")
            s.setblocking(False)
        except OSError:
            s.close()
            raise
        self.sock = s

    def send(self, data):
        """Queues one batch line and writes what the socket takes now; never blocks after the hello."""
        if self.dead:
            return
        if self.sock is None:
            try:
                self._connect()
            except OSError:
                self.dead = True
                return
        if len(self.backlog) + len(data) > MAX_BACKLOG:
            misc["droppedBatches"] += 1
            _forget_counters()  # counters in the lost batch are sent again in full
        else:
            self.backlog += data
        self.drain()

    def drain(self):
        """Writes as much of the backlog as the socket accepts without blocking."""
        b = self.backlog
        while b:
            try:
                n = self.sock.send(b)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.dead = True
                self.close()
                b.clear()
                return
            if n <= 0:
                return
            del b[:n]

    def close(self):
        """Closes this process's descriptor (after fork: the parent's connection lives on)."""
        s, self.sock = self.sock, None
        if s is not None:
            try:
                s.close()
            except OSError:
                pass


def _forget_counters():
    _last.clear()
    for k in misc:
        _last[("misc", k)] = 0


def fail(where, exc=None):
    """A hook failed: count it and warn once per place; never raise."""
    try:
        n = failures.get(where, 0)
        failures[where] = n + 1
        if n == 0 and enabled:
            text = "%s: %s" % (type(exc).__name__, exc) if exc is not None else "failed"
            append(["warn", time(), "runtime-error", "Forkscope hook %s failed (%s); the script was not affected." % (where, text[:300])])
    except Exception:
        pass


def emit(ev):
    """Appends one event (a list starting with its type and time)."""
    if enabled:
        append(ev)
        if _paused[0]:
            resume()


def detail(ev):
    """Appends a detail event when the per-process budget allows it, else counts it as dropped."""
    if budget[0] >= 1.0:
        budget[0] -= 1.0
        misc["detail"] += 1
        append(ev)
    else:
        misc["dropped"] += 1


# ---- waits of the main thread ------------------------------------------------------------


def wait_begin(what, ref=None, text=None):
    """Marks the main thread as waiting; returns a token for wait_end, or None (nested, other thread, off)."""
    if cur_wait[0] is not None or get_ident() != main_ident or not enabled:
        return None
    if _paused[0]:
        resume()
    w = [what, ref, text, time(), [1], False]
    cur_wait[0] = w
    return w


def wait_end(w):
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
        c = waits.get(w[0])
        if c is None:
            waits[w[0]] = [d]
        else:
            c[0] += d


def msg_wait_begin(what, ref):
    """wait_begin for the waits of message calls (Queue.get, Connection.recv, a bounded put): the
    clock is read on sampled calls only. An untimed wait gets its start from the flusher, which
    stamps it when it first sees it and emits it once it has lasted waitMs from there."""
    if cur_wait[0] is not None or get_ident() != main_ident or not enabled:
        return None
    if _paused[0]:
        resume()
    k = wait_skip[0]
    if k:
        wait_skip[0] = k - 1
        w = [what, ref, None, None, [1], False, False]
    else:
        w = [what, ref, None, time(), [1], False, True]
    cur_wait[0] = w
    return w


def msg_wait_timed(what, ref):
    """The timed call of a message wait whose caller keeps the `wait_skip` countdown itself (a
    queue's get, channels._make_rx): a timed wait token, or None off the main thread (which then
    leaves the next calls untimed), when nested, or when recording is off."""
    if cur_wait[0] is not None or not enabled:
        return None
    if get_ident() != main_ident:
        wait_skip[0] = WAIT_SKIP_MAX
        return None
    if _paused[0]:
        resume()
    w = cur_wait[0] = [what, ref, None, time(), [1], False, True]
    return w


def end_rx_claim():
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


def msg_wait_end(w):
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


def msg_wait_end_tail(w, mine, _max=WAIT_SKIP_MAX):
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
    c = waits.get(w[0])
    if c is None:
        waits[w[0]] = [d * (n + 1)]
    else:
        c[0] += d * (n + 1)


def tx_timed(s, _max=TX_SKIP_MAX):
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


def rx_sampled(c, ref, frm, ts, n, tag):
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


def wait_end_claimed(w, t):
    """The flusher emitted this wait's `w`: wait until it is in the buffer, then end it."""
    k = 0
    while not w[5] and k < 200:
        sleep(0.0001)
        k += 1
    append(["we", t])


def _check_wait(now):
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


def _check_rx_wait(now):
    """Flusher side of untimed queue gets: the main thread is found in one (its wrapper's code in
    the innermost RX_DEPTH frames) at two ticks in a row, in the same call (the same frame object:
    the one seen last is held, so a later call cannot reuse it), so it has waited since the first:
    emit its `w` from then, and leave the end to the call (rx_claim, end_rx_claim)."""
    if cur_wait[0] is not None or rx_claim[0] is not None or not RX_CODES:
        _rx_seen[0] = None
        return
    f = sys._current_frames().get(main_ident)
    k = 0
    while f is not None and k < RX_DEPTH and f.f_code not in RX_CODES:
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
    ref = f.f_locals.get("ref")
    t0 = _rx_seen[1]
    w = ["queue.get", ref, None, t0, [], True, False]  # claim token taken: _check_wait leaves it be
    append(["w", t0, "queue.get", ref, None])
    rx_claim[0] = w
    cur_wait[0] = w  # for its call site (_check_wait_site)


def _check_wait_site(now):
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
STUCK_AFTER = 0.2
STUCK_DEPTH = 32  # how far up the stack a known place (a Queue's exit flush) is looked for
_stuck = [None, 0.0, False]  # (id, code, lasti) of the innermost frame seen last, since when, reported


def _stuck_end(now):
    if _stuck[2]:
        append(["bke", now])
    _stuck[0] = None
    _stuck[2] = False


def _check_stuck(now):
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
    key = (id(f), f.f_code, f.f_lasti)
    if key != _stuck[0]:
        if _stuck[0] is not None:
            _stuck_end(now)
        _stuck[0] = key
        _stuck[1] = now
        return
    if _stuck[2] or now - _stuck[1] < STUCK_AFTER:
        return
    _stuck[2] = True
    what, ref, text = _stuck_place(f)
    file = line = None
    if what == "frame":  # (an exit flush has no line of the user's on its stack that says more)
        file, line = sites.wait_site(f)
        if file is None:
            file, line = f.f_code.co_filename, f.f_lineno
    append(["bk", now, _stuck[1], what, ref, text, file, line])


def _stuck_place(f):
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
                ref = thread._args[2].__self__.__dict__.get("_fk_qref")
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


# ---- counters ------------------------------------------------------------------------------


def _section(name, table, keyfmt, out, now_rounding=None):
    part = None
    for k, v in list(table.items()):
        val = tuple(v)
        lk = (name, k)
        if _last.get(lk) != val:
            _last[lk] = val
            if part is None:
                part = out[name] = {}
            if now_rounding:
                val = [round(x, 6) if isinstance(x, float) else x for x in val]
            part[keyfmt(k)] = list(val) if len(val) > 1 else val[0]


def _str_key(k):
    return k


def _pair_key(k):
    return "%s %s" % k


def counters_event(now):
    """A `ctr` event with the counters that changed since the last one, or None."""
    out = {}
    _section("sent", sent, _str_key, out)
    _section("recv", recv, _pair_key, out, True)
    _section("locks", locks, _str_key, out, True)
    _section("waits", waits, _str_key, out, True)
    _section("tasks", tasks, _pair_key, out, True)
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


# ---- flushing ------------------------------------------------------------------------------


def flush():
    """Sends everything buffered (and changed counters) as one batch line. Safe from any thread."""
    if not enabled or _transport is None or _transport.dead:
        return
    if not _flush_lock.acquire(True, LOCK_TIMEOUT):
        return
    try:
        now = time()
        last_flush[0] = now
        events = []
        pop = buf.popleft
        try:
            while True:
                events.append(pop())
        except IndexError:
            pass
        c = counters_event(now)
        if c is not None:
            events.append(c)
        if events:
            line = json.dumps(events, separators=(",", ":"), default=str)
            _transport.send(line.encode("utf-8", "replace") + b"\n")
        elif _transport.backlog:
            _transport.drain()
    except Exception as e:  # noqa: BLE001 - the flusher must survive anything
        fail("flush", e)
    finally:
        _flush_lock.release()


EXIT_DRAIN_S = 0.5  # how long an exiting process may wait for the supervisor to take its last events


def drain_at_exit(limit=EXIT_DRAIN_S):
    """At a process's exit, after its last flush: what the socket did not take yet (the supervisor
    was slow to read) would die with the process, so wait for the socket to become writable and
    send it, for `limit` seconds at most. Only an exiting process waits, and only while there is
    something left; a supervisor that is gone ends it at once."""
    t = _transport
    if t is None or t.dead or t.sock is None or not t.backlog:
        return
    if not _flush_lock.acquire(True, LOCK_TIMEOUT):
        return
    try:
        import select

        deadline = time() + limit
        while t.backlog and not t.dead and t.sock is not None:
            left = deadline - time()
            if left <= 0:
                break
            _, writable, _ = select.select([], [t.sock], [], left)
            if not writable:
                break
            t.drain()
    except Exception as e:  # noqa: BLE001 - never let the exit path fail
        fail("drain_at_exit", e)
    finally:
        _flush_lock.release()


def _run_flusher(stop):
    """The flusher thread: refills the detail budget, emits lasting waits, flushes every flushMs."""
    interval = cfg.flush_ms / 1000.0
    per_tick = cfg.detail_rate * interval
    cap = max(cfg.detail_rate * 1.0, 1.0) if cfg.detail_rate else 0.0
    while not stop.wait(interval):
        try:
            b = budget[0] + per_tick
            budget[0] = b if b < cap else cap
            now = time()
            _check_wait(now)
            _check_rx_wait(now)
            _check_wait_site(now)
            _check_stuck(now)
            flush()
            if _transport is not None and _transport.dead:
                return
        except Exception as e:  # noqa: BLE001
            fail("flusher", e)


def start_flusher():
    """Starts the flusher thread if it is not running (idempotent)."""
    global _thread, _stop
    if _thread is not None or not enabled:
        return
    _stop = threading.Event()
    t = threading.Thread(target=_run_flusher, args=(_stop,), name="forkscope-flusher", daemon=True)
    _thread = t
    t.start()


def stop_flusher(timeout=1.0):
    """Stops the flusher thread and waits for it (used around fork and by uninstall)."""
    global _thread, _stop
    t, s = _thread, _stop
    _thread = _stop = None
    if t is None:
        return False
    s.set()
    if t is not threading.current_thread():
        t.join(timeout)
    return True


def _os_threads():
    """Number of OS threads of this process (Linux), or None."""
    try:
        with open("/proc/self/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2 :].split()[17])
    except Exception:
        return None


_paused = [False]


def before_fork():
    """Stops the flusher when it is the process's only other thread (3.12+ warns about forking threads)."""
    _paused[0] = False
    try:
        if _thread is None or sys.version_info < (3, 12) or threading.active_count() != 2:
            return
        if stop_flusher(0.5):
            _paused[0] = True
            deadline = time() + 0.05
            while time() < deadline:
                n = _os_threads()
                if n is None or n <= 1:
                    break
                sleep(0.0005)
    except Exception as e:  # noqa: BLE001
        fail("before-fork", e)


def after_fork_parent():
    """Restarts the flusher paused by before_fork. Python 3.13+ checks the thread count after the
    after-fork hooks, so there the restart waits for the runtime's next event or wait."""
    if _paused[0] and sys.version_info < (3, 13):
        resume()


def resume():
    """Restarts a paused flusher."""
    if _paused[0]:
        _paused[0] = False
        try:
            start_flusher()
        except Exception as e:  # noqa: BLE001
            fail("after-fork", e)


def reset_after_fork():
    """In a fork child: fresh buffer, counters, locks and connection; no thread until it is needed."""
    global pid, main_ident, _transport, _thread, _stop, _flush_lock
    pid = os.getpid()
    main_ident = get_ident()
    old = _transport
    _transport = Transport()
    if old is not None:
        old.close()
    _thread = None
    _stop = None
    _paused[0] = False
    _flush_lock = threading.Lock()
    buf.clear()
    for table in (sent, recv, locks, waits, tasks, calls, call_times):
        table.clear()
    for k in misc:
        misc[k] = 0
    _forget_counters()
    failures.clear()
    cur_wait[0] = None
    _sited[0] = None
    wait_skip[0] = wait_skip[1] = 0
    rx_claim[0] = None
    _rx_seen[0] = None
    _stuck[0] = None
    _stuck[2] = False
    budget[0] = float(cfg.detail_rate) * 0.1 if cfg else 0.0
    _run_on_reset()


def _run_on_reset():
    for f in on_reset:
        try:
            f()
        except Exception as e:  # noqa: BLE001
            fail("reset", e)


def start(config):
    """Turns recording on in this process (no connection until the first flush)."""
    global cfg, enabled, _transport, pid, main_ident
    cfg = config
    pid = os.getpid()
    main_ident = threading.main_thread().ident
    _transport = Transport()
    budget[0] = float(cfg.detail_rate) * 0.1
    wait_s[0] = cfg.wait_ms / 1000.0
    enabled = True
    _run_on_reset()


def close_transport():
    """Closes this process's connection at its very end (the supervisor sees end of stream)."""
    if _transport is not None:
        _transport.close()
        _transport.dead = True


def stop():
    """Turns recording off and closes the connection (uninstall, or a process beyond the cap)."""
    global enabled
    flush()
    enabled = False
    stop_flusher()
    if _transport is not None:
        _transport.close()
        _transport.dead = True
