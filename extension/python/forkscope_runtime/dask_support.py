"""dask.distributed: a cluster the script's `Client` talks to, seen through the scheduler's own
plugin interface (imported only when `distributed.client` is).

When a `distributed.Client` has connected (its `_start` coroutine returned, for a LocalCluster it
made, `Client(cluster)` or `Client("tcp://…")`), the runtime registers `ForkscopeSchedulerPlugin`
(dask_plugin.py) with `Client.register_scheduler_plugin` (2022.12's name; the coroutine behind it,
`_register_scheduler_plugin`, is awaited inside `_start`), and subscribes to the plugin's topic:

- one plugin per run and scheduler: its name is `forkscope-<run id>` (from the run's socket path) and
  it is registered `idempotent`; a second client of the same run on the same scheduler (another
  `Client`, or `get_client()` inside a task on a LocalCluster's worker process) finds the plugin is
  another client's (`owner_on_scheduler`) and neither subscribes nor flushes, so nothing is counted
  twice; each plugin sends on a topic of its own (`forkscope-dask:<name>`), so runs sharing a
  scheduler do not see each other's batches;
- a scheduler in this process (a LocalCluster) gets a copy of the plugin that finds the runtime's
  emitter in `sys.modules` and appends its batches straight to the event buffer;
- a scheduler elsewhere gets the class by value (its module is executed from source and kept out of
  `sys.modules`, so distributed's pickler falls back to cloudpickle, which sends classes of modules
  it cannot import by value) and sends one `forkscope-dask` topic event per batch; the client's
  handler appends the batch's events.

When the client closes, the runtime runs `flush_on_scheduler` there first (the last batch, and the
plugin is removed from a remote scheduler), waits up to 2 s for the batches the plugin already sent,
then lets the client close. Failures are the runtime's own (a warning, once); the script's client
works the same without the plugin.
"""

from __future__ import annotations

import hashlib
import os
import types

from . import emitter as E
from .patching import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

TOPIC = "forkscope-dask"
_mod: Optional[Any] = None


def plugin_module() -> Any:
    """dask_plugin.py executed into a module object that is not in `sys.modules` (see above)."""
    global _mod
    if _mod is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dask_plugin.py")
        with open(path, encoding="utf-8") as f:
            src = f.read()
        m = types.ModuleType("forkscope_dask_plugin")
        m.__file__ = path
        exec(compile(src, path, "exec"), m.__dict__)
        _mod = m
    return _mod


def _patch_client(mod: Any) -> None:
    Client = getattr(mod, "Client", None)
    if Client is None or not hasattr(Client, "_start") or not hasattr(Client, "_close"):
        return
    orig_start = Client._start
    orig_close = Client._close

    async def _start(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await orig_start(self, *args, **kwargs)
        if E.enabled and "_forkscope" not in self.__dict__:
            try:
                await _attach(self)
            except Exception as e:  # noqa: BLE001
                E.fail("dask", e)
        return result

    async def _close(self: Any, *args: Any, **kwargs: Any) -> Any:
        st = self.__dict__.pop("_forkscope", None)
        if st is not None and getattr(self, "status", None) != "closed":  # close() has set "closing"
            try:
                await _detach(self, st)
            except Exception as e:  # noqa: BLE001
                E.fail("dask close", e)
        return await orig_close(self, *args, **kwargs)

    replace(Client, "_start", _start)
    replace(Client, "_close", _close)


def plugin_name() -> str:
    """The plugin's name on every scheduler of this run (the same in every process of the run)."""
    return "forkscope-" + hashlib.sha1(str(E.cfg.socket).encode("utf-8", "replace")).hexdigest()[:12]


async def _attach(client: Any) -> None:
    m = plugin_module()
    name = plugin_name()
    topic = TOPIC + ":" + name
    st = {"name": name, "seq": 0, "local": False, "topic": topic}

    def handler(event: Any) -> None:
        try:
            msg = event[1]
            for ev in msg["events"]:
                E.emit(ev)
            if msg["seq"] > st["seq"]:
                st["seq"] = msg["seq"]
        except Exception as e:  # noqa: BLE001
            E.fail("dask events", e)

    client.subscribe_topic(topic, handler)
    plugin = m.ForkscopeSchedulerPlugin(name, os.getpid(), client.id)
    register = getattr(client, "_register_scheduler_plugin", None)
    if register is None:
        E.emit(["warn", E.time(), "dask", "Forkscope could not register its scheduler plugin with this version of distributed: the cluster is not recorded."])
        return
    try:
        await register(plugin=plugin, name=name, idempotent=True)
        owner = await client._run_on_scheduler(m.owner_on_scheduler, name)
    except Exception as e:  # noqa: BLE001 - e.g. a scheduler with distributed.scheduler.pickle off
        client.unsubscribe_topic(topic)
        E.emit(["warn", E.time(), "dask", "The dask scheduler at %s did not accept Forkscope's plugin (%s: %s): its tasks are not recorded." % (_address(client), type(e).__name__, str(e)[:200])])
        return
    if owner != client.id:  # another client of this run registered it: it reports, this one stays quiet
        client.unsubscribe_topic(topic)
        return
    sched = getattr(getattr(client, "cluster", None), "scheduler", None)
    st["local"] = sched is not None and name in (getattr(sched, "plugins", None) or {})
    client.__dict__["_forkscope"] = st


def _address(client: Any) -> Any:
    try:
        return client.scheduler.address
    except Exception:
        return "?"


async def _detach(client: Any, st: Any) -> None:
    import asyncio

    m = plugin_module()
    seq = await asyncio.wait_for(client._run_on_scheduler(m.flush_on_scheduler, st["name"], not st["local"], client.id), 5)
    if isinstance(seq, int) and seq > 0:
        end = E.time() + 2.0
        while st["seq"] < seq and E.time() < end:
            await asyncio.sleep(0.01)
    try:
        client.unsubscribe_topic(st["topic"])
    except Exception:
        pass
