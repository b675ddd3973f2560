"""The scheduler plugin Forkscope registers on a dask.distributed scheduler (dask_support.py).

This file is never imported as part of the runtime: dask_support executes its source into a fresh
module object that is not in `sys.modules`, so that distributed's pickler (cloudpickle, after
plain pickle fails to find the module) sends the class *by value* to a scheduler that has no
Forkscope installed. It may import only the standard library and distributed, and it must work
in a process Forkscope does not record.

What it collects, in the scheduler's event loop (events of docs/runtime-protocol.md, "dask"):
- `dworker` when a worker joins (and for the workers already there), `dworkerend` when it leaves
  (with the tasks it was processing);
- per task that ran: `[prefix, worker, start, stop, state, key]` from the processing → memory /
  erred transition (start and stop from the worker's `compute` startstop), batched in `dtasks`;
- per dependency a task needed from another worker: `[from, to, bytes, start, stop, prefix]`
  (from the scheduler's view of where each key was computed or copied, the worker's `transfer`
  startstop giving the source and the times), batched in `dxfer`;
- every `METRICS_S` the workers' own `cpu` and `memory` from their heartbeats, in `dmetrics`.

The batch is flushed every `FLUSH_S` by a periodic callback: into the Forkscope emitter when the
scheduler lives in the recorded process (a LocalCluster), else sent to the client as a
`forkscope-dask` topic event (one message per batch, not one per task).
"""

from __future__ import annotations

import os
import sys
import time

from distributed.diagnostics.plugin import SchedulerPlugin  # pyright: ignore[reportMissingImports]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOPIC = "forkscope-dask"  # the topic of a plugin named N is TOPIC + ":" + N
FLUSH_S = 0.1
METRICS_S = 0.5
KEY_MAX = 120


def _key_text(key):  # type: ignore[no-untyped-def]
    s = key if isinstance(key, str) else str(key)
    return s if len(s) <= KEY_MAX else s[: KEY_MAX - 1] + "…"


class ForkscopeSchedulerPlugin(SchedulerPlugin):
    """Batches what the scheduler sees of workers, tasks and transfers for Forkscope."""

    def __init__(self, name, client_pid, client_id):  # type: ignore[no-untyped-def]
        self.name = name
        self.client_pid = client_pid
        self.client_id = client_id
        self._init_state()

    def _init_state(self):  # type: ignore[no-untyped-def]
        self.scheduler: Any = None
        self.cluster = None
        self.tasks = []
        self.xfers = []
        self.events = []
        self.where = {}  # key -> set of worker addresses holding it (computed there or copied there)
        self.seq = 0
        self.sink = None
        self.pc = None
        self.last_metrics = 0.0
        self.workers = set()
        self.lost = {}  # worker address -> tasks it was processing when the scheduler removed it
        self.local = False

    def __getstate__(self):  # type: ignore[no-untyped-def]
        return {"name": self.name, "client_pid": self.client_pid, "client_id": self.client_id}

    def __setstate__(self, state):  # type: ignore[no-untyped-def]
        self.__dict__.update(state)
        self._init_state()

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, scheduler):  # type: ignore[no-untyped-def]
        self.scheduler = scheduler
        self.cluster = scheduler.address
        em = sys.modules.get("forkscope_runtime.emitter")
        if os.getpid() == self.client_pid and em is not None and getattr(em, "enabled", False):
            emit = em.emit

            def sink(batch):  # type: ignore[no-untyped-def]
                for ev in batch:
                    emit(ev)

            self.sink = sink
            self.local = True
        else:
            report = getattr(scheduler, "_report_event", None)
            if report is not None:  # to the subscribers only: log_event would also keep every batch
                self.sink = lambda batch: report(TOPIC + ":" + self.name, (time.time(), {"seq": self._next_seq(), "events": batch}))
            else:
                self.sink = lambda batch: scheduler.log_event(TOPIC + ":" + self.name, {"seq": self._next_seq(), "events": batch})
        now = time.time()
        self.events.append(["dcluster", now, {"cluster": self.cluster, "local": self.local, "pid": os.getpid()}])
        for addr in list(scheduler.workers):
            self._joined(addr, now)
        from tornado.ioloop import PeriodicCallback  # pyright: ignore[reportMissingImports]

        self.pc = PeriodicCallback(self.flush, FLUSH_S * 1000)
        self.pc.start()

    def _next_seq(self):  # type: ignore[no-untyped-def]
        self.seq += 1
        return self.seq

    async def close(self):  # type: ignore[no-untyped-def]
        # the scheduler closes its workers without removing them one by one: they leave with it
        now = time.time()
        for addr in sorted(self.workers):
            self.events.append(["dworkerend", now, {"cluster": self.cluster, "address": addr, "processing": 0, "reason": "scheduler-closed"}])
        self.workers.clear()
        self.stop()

    def stop(self):  # type: ignore[no-untyped-def]
        try:
            self.metrics(time.time())
            self.flush()
        finally:
            if self.pc is not None:
                self.pc.stop()
                self.pc = None

    def remove_client(self, scheduler, client):  # type: ignore[no-untyped-def]
        if client == self.client_id and not self.local:  # the recorded script went away (closed or not)
            self.stop()
            try:
                scheduler.remove_plugin(name=self.name)
            except Exception:
                pass

    # ---- what the scheduler sees ----------------------------------------------------------

    def _joined(self, addr, now):  # type: ignore[no-untyped-def]
        ws = self.scheduler.workers.get(addr)
        if ws is None or addr in self.workers:
            return
        self.workers.add(addr)
        self.events.append(
            [
                "dworker",
                now,
                {
                    "cluster": self.cluster,
                    "address": addr,
                    "host": ws.host,
                    "pid": ws.pid,
                    "name": str(ws.name),
                    "nthreads": ws.nthreads,
                    "memoryLimit": ws.memory_limit,
                    "nanny": ws.nanny or None,
                },
            ]
        )

    def add_worker(self, scheduler, worker):  # type: ignore[no-untyped-def]
        self._joined(worker, time.time())

    def remove_worker(self, scheduler, worker):  # type: ignore[no-untyped-def]
        if worker in self.workers:
            self.workers.discard(worker)
            ev = ["dworkerend", time.time(), {"cluster": self.cluster, "address": worker, "processing": self.lost.pop(worker, 0), "reason": "removed"}]
            self.events.append(ev)
        for held in self.where.values():
            held.discard(worker)

    def log_event(self, topic, msg):  # type: ignore[no-untyped-def]
        # the scheduler logs {"action": "remove-worker", "processing-tasks": {...}} before removing it
        if topic == "all" and isinstance(msg, dict) and msg.get("action") == "remove-worker":
            self.lost[msg.get("worker")] = len(msg.get("processing-tasks") or ())

    def transition(self, key, start, finish, *args, **kwargs):  # type: ignore[no-untyped-def]
        if start == "processing":
            if finish == "memory" or finish == "erred":
                self._ran(key, finish, kwargs)
        elif finish == "released" or finish == "forgotten":
            self.where.pop(key, None)

    def _ran(self, key, finish, kw):  # type: ignore[no-untyped-def]
        worker = kw.get("worker")
        ts = self.scheduler.tasks.get(key)
        prefix = ts.prefix.name if ts is not None else str(key)
        t0 = t1 = None
        sources = None
        for ss in kw.get("startstops") or ():
            action = ss.get("action")
            if action == "compute":
                t0, t1 = ss.get("start"), ss.get("stop")
            elif action == "transfer":
                if sources is None:
                    sources = {}
                sources[ss.get("source")] = (ss.get("start"), ss.get("stop"))
        # The worker's stamps are its own clock plus its estimate of the scheduler's offset, which is
        # off by tenths of a second while heartbeats are slow: the task is placed to end when the
        # scheduler heard of it, with the worker's duration (its transfers shifted alike).
        now = time.time()
        shift = now - t1 if t1 is not None else 0.0
        if t1 is None:
            t0 = t1 = now
        else:
            t0, t1 = (t0 if t0 is not None else t1) + shift, now
        self.tasks.append([prefix, worker, t0, t1, finish, _key_text(key)])
        if worker is None or ts is None:
            return
        if finish == "memory":
            self.where[key] = {worker}
        for dts in ts.dependencies:
            held = self.where.get(dts.key)
            if held is None:
                held = self.where[dts.key] = {w.address for w in dts.who_has}
                if worker in held:
                    continue
            if worker in held or not held:
                continue
            src = None
            if sources:
                for s in sources:
                    if s in held:
                        src = s
                        break
            if src is None:
                src = next(iter(held))
            times = sources.get(src) if sources else None
            x0 = min(times[0] + shift, t0) if times and times[0] is not None else None
            x1 = min(times[1] + shift, t0) if times and times[1] is not None else None
            self.xfers.append([src, worker, dts.nbytes if dts.nbytes is not None and dts.nbytes >= 0 else None, x0, x1, dts.prefix.name])
            held.add(worker)

    def metrics(self, now):  # type: ignore[no-untyped-def]
        out = {}
        for addr, ws in list(self.scheduler.workers.items()) if self.scheduler is not None else ():
            m = ws.metrics or {}
            out[addr] = [m.get("cpu"), m.get("memory")]
        if out:
            self.events.append(["dmetrics", now, {"cluster": self.cluster, "workers": out}])
        self.last_metrics = now

    def flush(self):  # type: ignore[no-untyped-def]
        """Sends what was collected since the last flush (runs in the scheduler's event loop)."""
        if self.sink is None:
            return
        now = time.time()
        if now - self.last_metrics >= METRICS_S:
            self.metrics(now)
        batch = self.events
        if self.tasks:
            batch.append(["dtasks", now, {"cluster": self.cluster, "tasks": self.tasks}])
            self.tasks = []
        if self.xfers:
            batch.append(["dxfer", now, {"cluster": self.cluster, "transfers": self.xfers}])
            self.xfers = []
        if batch:
            self.events = []
            try:
                self.sink(batch)
            except Exception:
                pass


def owner_on_scheduler(name, dask_scheduler=None):  # type: ignore[no-untyped-def]
    """Run on the scheduler by a client after registering: the id of the client whose plugin of that
    name is there (another client of the same run may have registered it first), or None."""
    plugin = dask_scheduler.plugins.get(name) if dask_scheduler is not None else None
    return getattr(plugin, "client_id", None)


def flush_on_scheduler(name, remove, client_id=None, dask_scheduler=None):  # type: ignore[no-untyped-def]
    """Run on the scheduler by the client before it closes: flushes the plugin's last batch and
    returns the sequence number of that batch (0: nothing was sent through the topic); removes the
    plugin when `remove`. Only the client that owns the plugin does this (-1 for any other)."""
    if dask_scheduler is None:
        return -1
    plugin = dask_scheduler.plugins.get(name)
    if plugin is None or (client_id is not None and getattr(plugin, "client_id", None) != client_id):
        return -1
    if remove:
        plugin.stop()
        try:
            dask_scheduler.remove_plugin(name=name)
        except Exception:
            pass
    else:  # a LocalCluster: its workers' leaving is still to come (the scheduler's close flushes it)
        plugin.metrics(time.time())
        plugin.flush()
    return plugin.seq
