"""How events leave a process (docs/runtime-protocol.md, "Connection"): batching into lines, the
flusher thread, and the non-blocking Unix-socket transport.

A daemon thread ticks every `flushMs`: it sends what is buffered at once when that holds an event
the views must see now (a process's start and end, a wait, output…), and counters and message
detail alone every COUNTERS_MS (their own line costs the process and the supervisor ~0.4 ms of CPU,
whatever it holds). In a quiet process it rests, ticking every REST_MS until something happens.
Lifecycle hooks flush at once from their own thread.
The socket is non-blocking: a bounded backlog, whole batches dropped and counted beyond it, and
once the supervisor is gone nothing is tried again. Every lock here is taken with a timeout. The
flusher thread is stopped around `os.fork()` when it is the only other thread, so Python 3.12+
does not warn about forking a multi-threaded process because of us.
"""

from __future__ import annotations

import array
import os
import _socket  # the C module: `socket` costs every process ~3 ms to import, and nothing here needs it
import sys
import threading

from . import events as V
from .config import private_folder
from . import waits
from .events import DETAIL_KINDS, RESTING, budget, buf, fail, misc, paused, sleep, time
from .json_c import dumps

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

MAX_BACKLOG = 8 * 1024 * 1024
LOCK_TIMEOUT = 0.5

cfg: Any = None  # config.Config, given by open_transport()
_flush_lock = threading.Lock()
last_flush = array.array("d", [0.0])  # when the last flush that took the buffer started (raw: see events.budget)

# The flusher's send cadence (_due). A flood of messages changes the counters at every tick and
# fills the buffer with sampled detail: sent every tick (20 ms), five processes made 250 lines a
# second and cost ~0.4 ms of CPU each, between the process and the supervisor; a tick that
# sends nothing costs a wake-up and the checks. Detail events (`m`, `task`, `hold`) and counters
# are exact either way, later by at most COUNTERS_MS; any other event goes at the next tick.
COUNTERS_MS = 100
_cadence = array.array("q", [0, 0, 1])  # ticks since the buffer was last taken; events at its left known to be detail; ticks per send

# A quiet process's flusher rests (_run_flusher). Each tick wakes the thread, which then takes the
# interpreter lock from the main thread: a CPU-bound Pool worker made three times the context switches
# it makes resting (docs/cli.md, "Each process's flusher thread…"). So once a whole
# COUNTERS_MS has passed with nothing to send (no event, no counter changed, no backlog), it ticks
# every REST_MS, sending at each tick, until a tick has something to send or the main thread rings
# it (events.wake: its next event that is not detail, a wait, a timed message call, the end of a long
# wait, a new run of output). Resting, it leaves the next message wait of the main thread timed
# (waits.wait_skip), so that wait's start is read from the clock and it rings the flusher.
REST_MS = COUNTERS_MS
_refilled = array.array("d", [0.0])  # when the flusher's last tick refilled the detail budget (raw)
ticks = array.array("q", [0])  # the flusher's ticks in this process, for the tests
_transport: "Optional[Transport]" = None
_thread: Optional[threading.Thread] = None
_stop: Optional[threading.Event] = None
_bell: Any = None  # the lock a flusher waits on between ticks, held but while it is rung (resume)


class Transport:
    """One non-blocking stream connection to the supervisor, opened lazily with the hello.

    Started before the supervisor (`connectWaitMs`, the `forkscope` shell launcher starts Python
    first), the socket may not exist yet: until the wait is over, batches are kept in the backlog
    and the connection is tried again at each flush. A supervisor that removed its folder (it gave
    up on the run) ends the wait at once."""

    def __init__(self) -> None:
        self.sock: Any = None
        self.dead = False
        self.backlog = bytearray()
        wait = cfg.connect_wait_ms / 1000.0 if cfg is not None else 0.0
        self.connect_until = time() + wait if wait > 0 else 0.0

    def _connect(self) -> None:
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.settimeout(1.0)
            s.connect(cfg.socket)
            hello = {"hello": 1, "secret": cfg.secret, "pid": os.getpid(), "ppid": os.getppid()}
            s.sendall(dumps(hello).encode() + b"\n")
            s.setblocking(False)
        except OSError:
            s.close()
            raise
        self.sock = s

    def connected(self) -> bool:
        """Connects if not yet connected. False while the supervisor's socket is awaited, or when dead."""
        if self.sock is not None:
            return True
        if self.dead:
            return False
        try:
            self._connect()
            return True
        except OSError as e:
            if not self.awaiting(e):
                self.dead = True
                self.backlog.clear()
            return False

    def awaiting(self, e: Any) -> bool:
        """Whether a failed connect means "not there yet" (within the launcher's wait) rather than "gone".

        The launcher names the socket's folder and whichever of this process and the supervisor
        comes first makes it (0700); either way it must be this user's own and private, and the
        supervisor marks it `unrecorded` when it gives up on the run. A supervisor that died first
        (a Ctrl-C while Node was still starting) ends the wait too."""
        if not self.connect_until or time() >= self.connect_until:
            return False
        if not isinstance(e, (FileNotFoundError, ConnectionRefusedError)):
            return False
        if cfg.supervisor_pid:
            try:
                os.kill(cfg.supervisor_pid, 0)
            except ProcessLookupError:
                return False
            except OSError:
                pass
        folder = os.path.dirname(cfg.socket)
        if not private_folder(folder, make=True):
            return False
        return not os.path.exists(os.path.join(folder, "unrecorded"))

    def send(self, data: Any) -> None:
        """Queues one batch line and writes what the socket takes now; never blocks after the hello."""
        if self.dead:
            return
        if len(self.backlog) + len(data) > MAX_BACKLOG:
            misc["droppedBatches"] += 1
            V.forget_counters()  # counters in the lost batch are sent again in full
        else:
            self.backlog += data
        if self.connected():
            self.drain()

    def drain(self) -> None:
        """Writes as much of the backlog as the socket accepts without blocking."""
        if not self.connected():
            return
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

    def close(self) -> None:
        """Closes this process's descriptor (after fork: the parent's connection lives on)."""
        s, self.sock = self.sock, None
        if s is not None:
            try:
                s.close()
            except OSError:
                pass



# ---- flushing ------------------------------------------------------------------------------


def flush(periodic: bool = False) -> Any:
    """Sends everything buffered (and changed counters) as one batch line. Safe from any thread.
    `periodic`: the flusher thread's flush, which may keep an unfinished line of output back for the
    next one (output._take); every other flush (a process's start, end, a pool worker's wait…) sends all.
    Returns False when it took the buffer and had nothing to send, else None."""
    if not V.enabled or _transport is None or _transport.dead:
        return None
    if not _flush_lock.acquire(True, LOCK_TIMEOUT):
        return None
    try:
        for f in V.before_flush:
            f(periodic)
        if periodic and not _due():
            if _transport.backlog:
                _transport.drain()
            return None
        now = time()
        last_flush[0] = now
        events = []
        pop = buf.popleft
        try:
            while True:
                events.append(pop())
        except IndexError:
            pass
        _cadence[0] = _cadence[1] = 0
        c = V.counters_event(now)
        if c is not None:
            events.append(c)
        if events:
            line = dumps(events)
            _transport.send(line.encode("utf-8", "replace") + b"\n")
        elif _transport.backlog:
            _transport.drain()
        else:
            return False
    except Exception as e:  # noqa: BLE001 - the flusher must survive anything
        fail("flush", e)
    finally:
        _flush_lock.release()
    return None


def _due(detail: Any = DETAIL_KINDS) -> bool:
    """Whether the flusher's tick sends (under the flush lock): the buffer holds an event that is
    not detail, or COUNTERS_MS have passed since the buffer was last taken. The events already
    found to be detail are not looked at again (others only ever append to the buffer's right)."""
    c = _cadence
    c[0] += 1
    if c[0] >= c[2]:
        return True
    i = c[1]
    n = len(buf)
    try:
        while i < n:
            if buf[i][0] not in detail:
                return True
            i += 1
    except Exception:  # (an event that is not a list: send it)
        return True
    c[1] = i
    return False


EXIT_DRAIN_S = 0.5  # how long an exiting process may wait for the supervisor to take its last events


def drain_at_exit(limit: Any = EXIT_DRAIN_S) -> None:
    """At a process's exit, after its last flush: what the socket did not take yet (the supervisor
    was slow to read) would die with the process, so wait for the socket to become writable and
    send it, for `limit` seconds at most. Only an exiting process waits, and only while there is
    something left; a supervisor that is gone ends it at once. A process started before the
    supervisor (`connectWaitMs`) first waits for its socket to appear, within that wait."""
    t = _transport
    if t is None or t.dead or not t.backlog:
        return
    if not _flush_lock.acquire(True, LOCK_TIMEOUT):
        return
    try:
        import select

        while not t.connected() and not t.dead:
            sleep(0.002)
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


def _run_flusher(stop: Any, bell: Any) -> None:
    """The flusher thread: refills the detail budget, emits lasting waits, flushes every flushMs;
    in a quiet process every REST_MS (see REST_MS). `bell`: the lock it waits on, rung by resume."""
    interval = cfg.flush_ms / 1000.0
    rest = REST_MS / 1000.0
    per_send = max(1, int(round(COUNTERS_MS / cfg.flush_ms)))
    rate = float(cfg.detail_rate)
    cap = max(rate, 1.0) if cfg.detail_rate else 0.0
    skip = waits.wait_skip
    _refilled[0] = time()
    while True:
        resting = paused[0] == RESTING
        _cadence[2] = 1 if resting else per_send
        bell.acquire(True, rest if resting else interval)
        if stop.is_set():
            return
        ticks[0] += 1
        try:
            now = time()
            b = budget[0] + rate * (now - _refilled[0])
            _refilled[0] = now
            budget[0] = b if b < cap else cap
            waits.check(now)
            quiet = flush(True) is False
            t = _transport
            if t is not None and t.dead:
                return
            if not quiet:
                if resting and paused[0] == RESTING:  # it sent: tick at the full rate again
                    paused[0] = False
            elif not resting and rest > interval and not buf and paused[0] is False:
                skip[0] = 0  # the main thread's next message wait is timed, and rings
                paused[0] = RESTING
        except Exception as e:  # noqa: BLE001
            fail("flusher", e)


def start_flusher() -> None:
    """Starts the flusher thread if it is not running (idempotent)."""
    global _thread, _stop, _bell
    if _thread is not None or not V.enabled:
        return
    _stop = threading.Event()
    bell = threading.Lock()
    bell.acquire()
    _bell = bell
    t = threading.Thread(target=_run_flusher, args=(_stop, bell), name="forkscope-flusher", daemon=True)
    _thread = t
    t.start()


def stop_flusher(timeout: Any = 1.0) -> Any:
    """Stops the flusher thread and waits for it (used around fork and by uninstall)."""
    global _thread, _stop
    t, s = _thread, _stop
    _thread = _stop = None
    if t is None or s is None:  # (they are set and cleared together)
        return False
    s.set()
    if paused[0] == RESTING:
        paused[0] = False
    _ring()
    if t is not threading.current_thread():
        t.join(timeout)
    return True


def _os_threads() -> Any:
    """Number of OS threads of this process (Linux), or None."""
    try:
        with open("/proc/self/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2 :].split()[17])
    except Exception:
        return None


def before_fork() -> None:
    """Stops the flusher when it is the process's only other thread (3.12+ warns about forking threads)."""
    paused[0] = False
    try:
        if _thread is None or sys.version_info < (3, 12) or threading.active_count() != 2:
            return
        if stop_flusher(0.5):
            paused[0] = True
            deadline = time() + 0.05
            while time() < deadline:
                n = _os_threads()
                if n is None or n <= 1:
                    break
                sleep(0.0005)
    except Exception as e:  # noqa: BLE001
        fail("before-fork", e)


def after_fork_parent() -> None:
    """Restarts the flusher paused by before_fork. Python 3.13+ checks the thread count after the
    after-fork hooks, so there the restart waits for the runtime's next event or wait."""
    if paused[0] and sys.version_info < (3, 13):
        resume()


def resume() -> None:
    """Restarts a flusher stopped around a fork, or rings a resting one (events.paused)."""
    p = paused[0]
    if p:
        paused[0] = False
        if p == RESTING:
            _ring()
            return
        try:
            start_flusher()
        except Exception as e:  # noqa: BLE001
            fail("after-fork", e)


def _ring() -> None:
    """Wakes the flusher from its wait (it ticks at once); a bell rung already stays rung."""
    b = _bell
    if b is not None:
        try:
            b.release()
        except RuntimeError:
            pass



V.wake[0] = resume


def open_transport(config: Any) -> None:
    """Recording starts in this process: a transport for it (connected at the first flush)."""
    global cfg, _transport
    cfg = config
    _transport = Transport()


def reset_after_fork() -> None:
    """In a fork child: a connection of its own, a fresh lock, no thread until it is needed."""
    global _transport, _thread, _stop, _flush_lock, _bell
    old = _transport
    _transport = Transport()
    if old is not None:
        old.close()
    _thread = None
    _stop = None
    _bell = None
    paused[0] = False
    _flush_lock = threading.Lock()
    _cadence[0] = _cadence[1] = 0
    ticks[0] = 0


def close_transport() -> None:
    """Closes this process's connection for good (the supervisor sees end of stream)."""
    if _transport is not None:
        _transport.close()
        _transport.dead = True
