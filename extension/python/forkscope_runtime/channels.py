"""Messages: Pipe/Connection, Queue, JoinableQueue, SimpleQueue.

Every pickled payload gets a 16-byte trailer after its pickle (a magic, the
sender pid, the send time or 0; pickle ignores bytes past STOP, so any reader
gets the same object). The receiving process reads it, so its `recv` counters
and `m` events name the true sender and the latency.

Nothing is re-implemented but `ForkingPickler.dumps`, whose three lines are
checked to be the standard library's (a payload that fails to pickle goes to
the original, so its error and traceback are the standard library's), and
`Queue.get`, which is the standard library's own source recompiled with the
receive count written in (same file, lines and columns); every other wrapper
calls the original, so tracebacks show the standard library's own frames (the
wrappers hide theirs).

- The trailer: `connection` and `queues` pickle through their module global
  `_ForkingPickler`; it is replaced by a subclass whose `dumps` writes the
  trailer into the pickle's own buffer. This covers Connection.send (Pipe,
  Pool task dispatch, Manager calls), the Queue feeder thread and
  SimpleQueue.put. A Queue's feeder runs the standard library's `_feed` code
  with a pickler of its own, which counts the queue's messages as it pickles
  them. `send_bytes`/`recv_bytes` payloads of the user are never changed.
- Sending is counted in `Connection._send_bytes` (every message of every
  kind passes there; payloads without a trailer are raw and not counted),
  under the connection's channel ref: its descriptor's inode (a queue's two
  ends share one), or the `m<address>` ref of a Manager connection.
- Receiving on a queue: `Queue.get` (and so JoinableQueue's) is recompiled
  from the standard library's source with the count written in after each
  `res = self._recv_bytes()`: it reads the trailer of the bytes and counts
  them under the queue's ref with no call of the runtime's (queues.py,
  `_inline_get`, at the first queue of a process; where the source is not
  there or not that shape, the queue's `_recv_bytes` is a counting wrapper
  instead). A SimpleQueue's reader gets that counting `recv_bytes` (its `get`
  calls `self._reader.recv_bytes()`). On a Connection (Pipe, Pool results,
  Manager) the connection module's pickler `loads` notes the trailer (per
  thread) and the `Connection.recv` wrapper counts it.
- Sampling (docs/runtime-protocol.md, "Sampling"): message and byte counts
  per sender are exact; the clock is read (latency, an `m` event, the wait's
  duration) only on sampled messages, all of them when traffic is slow, one
  in up to 256 under a flood. The sender samples: its trailer is timed
  (`FkS1`, the send time) or untimed (`FkU1`, prebuilt per process); a
  receiver counts an untimed message with one slice and one lookup.
- Waits: `Connection.recv`; a queue's `get` where it can block: its
  `recv_bytes`, its read lock when another reader holds it, a Queue's `_poll`
  for `get(timeout=…)`; and a bounded queue's `put` (its semaphore's
  `acquire`). All per queue: an unbounded `put` runs untouched.
- `connection.Pipe` and the queues' constructors declare `chan` events for
  channels user code made (a duplex Pipe is a socket pair: both inodes).
"""

from __future__ import annotations

# The three parts (one concern each); this module keeps the names the rest of the runtime (and
# bootstrap.HOOKS) use.
from .trailer import (  # noqa: F401
    MAGIC, QUIET, TLEN, UNTIMED, _untimed, conn_ref, count_received, count_rx, inode_ref, timed_trailer, trailed_at, trailer_source,
)
from .pipes import _patch_connection  # noqa: F401
from .queues import _patch_queues, pipe_ref, queue_ref, sq_ref  # noqa: F401

__all__ = [
    "MAGIC", "QUIET", "TLEN", "UNTIMED", "_untimed", "conn_ref", "count_received", "count_rx", "inode_ref", "timed_trailer", "trailer_source",
    "trailed_at", "_patch_connection", "_patch_queues", "pipe_ref", "queue_ref", "sq_ref",
]
