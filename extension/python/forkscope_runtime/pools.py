"""multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor.

- `pool.worker` and `concurrent.futures.process._process_worker` are replaced
  by module-level functions of the same module and name (so a spawn child
  unpickles the replacement). They wrap the worker's task `get` and result
  `put` on its own queue objects to count chunks, items and busy time per
  job (`task` detail events, `tasks` counters), then run the original worker.
  Workers get no signal handlers and the runtime takes no lock of theirs.
- `Pool.__init__` / `ProcessPoolExecutor.__init__` declare the `pool` and its
  task/result channels; the public call methods emit `pcall` (job id of the
  first item, number of items, chunksize).
- Result waits (`AsyncResult.get/wait`, `IMapIterator.next`,
  `Future.result`) are recorded as waits of the main thread.
"""

from __future__ import annotations

import itertools
import threading

from . import emitter as E
from . import processes
from . import sites
from .channels import pipe_ref, sq_ref
from .queues import before_blocking_get
from .patching import replace
from .waits import waiting_call

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, List, Optional, Tuple

_local = threading.local()
_n = itertools.count(1)
_orig = {}
# Functions func -> number of items (or None) for a Pool task whose function is not map's: a
# library's batch of calls (joblib_support.batch_items) counts as its calls.
ITEM_COUNTERS = []


def _queue_method(q: Any, name: Any) -> Any:
    """A queue's `get`/`put` as its worker calls it: a method of its class, or a function set on the
    instance (joblib's CustomizablePicklingQueue makes its own in `_make_methods`)."""
    return getattr(q, name)


def _chan(kind: Any, ref: Any, name: Any, site: Any, pool: Any) -> None:
    E.emit(["chan", E.time(), {"ref": ref, "kind": kind, "name": name, "file": site.file, "line": site.line, "refs": [ref], "pool": pool}])


def _task_done(state: Any, ok: Any, once: bool = False) -> None:
    """Counts the task the worker just finished (state: [ref, job, chunk, items, tBegin]); `once`:
    its job id comes once (events.task_once)."""
    ref, job, chunk, items, t0 = state
    now = E.time()
    busy = now - t0
    if once and type(job) is int and type(items) is int:
        E.task_once(ref, job, items, busy)
    else:
        key = (ref, job)
        c = E.tasks.get(key)
        if c is None:
            E.tasks[key] = [1, items, busy]
        else:
            c[0] += 1
            c[1] += items
            c[2] += busy
    E.detail(["task", now, {"pool": ref, "job": job, "chunk": chunk, "items": items, "tBegin": t0, "ok": bool(ok)}])


def _flush_if_idle(q: Any) -> None:
    """Before a worker hands back what may be its last result, flush when no task is waiting
    (or the last flush is 1 ms old): `with Pool() as p:` terminates workers right after the
    last result arrives, and a killed worker keeps nothing."""
    try:
        if E.time() - E.last_flush[0] >= 0.001 or not q._reader.poll():
            E.flush()
    except Exception:
        E.flush()


# ---- Pool ----------------------------------------------------------------------------------


def instrument_worker(tasks: Any, results: Any, ref: str, where: str, sentinel: Optional[str],
                      describe: Callable[[Any], Optional[Tuple[Any, int, int]]], succeeded: Callable[[Any], bool],
                      once: bool = False) -> None:
    """The task accounting of one pool worker (Pool's, ProcessPoolExecutor's and loky's): wraps
    the `get` of its task queue and the `put` of its result queue. `describe(task)` gives (job,
    chunk, items) of a task (None: not a task), `succeeded(result)` whether it went well;
    `sentinel`, when given, is how the worker's end is told when it reads its pool's None; `once`,
    that each job is one task (an executor's work item), counted by events.task_once.

    A worker killed at its pool's end keeps nothing it has not sent, so: before it hands back a
    result that may be its last, it flushes if no task is waiting; before a get of its next task
    blocks (another worker reading, or nothing to read), it flushes what it did since
    (queues.before_blocking_get); and a worker still on a CPU when its pool terminates it is given
    a moment to get there (processes.let_worker_flush)."""
    tasks._reader._fk_tag = "task"
    state: List[Any] = [None]
    done = [0.0]  # when the last task finished
    qget, qput = _queue_method(tasks, "get"), _queue_method(results, "put")

    def get(*args: Any, **kwargs: Any) -> Any:
        task = qget(*args, **kwargs)
        if task is None and sentinel is not None:
            processes.identity["pool_sentinel"] = sentinel  # this worker ends
        try:
            if task is not None and E.enabled:
                d = describe(task)
                if d is not None:
                    state[0] = [ref, d[0], d[1], d[2], E.time()]
        except Exception as e:  # noqa: BLE001
            E.fail(where, e)
        return task

    def put(obj: Any, *args: Any, **kwargs: Any) -> Any:
        s = state[0]
        if s is not None:
            state[0] = None
            try:
                _task_done(s, succeeded(obj), once)
                done[0] = E.time()
                _flush_if_idle(tasks)
            except Exception as e:  # noqa: BLE001
                E.fail(where, e)
        return qput(obj, *args, **kwargs)

    sites.HIDDEN.add(get.__code__)
    sites.HIDDEN.add(put.__code__)
    tasks.get = get
    results.put = put
    last_flush = E.last_flush
    before_blocking_get(tasks, lambda: done[0] > last_flush[0], E.flush)


def _instrument_pool_worker(inqueue: Any, outqueue: Any) -> None:
    from multiprocessing import pool as mpool

    starfuncs = (mpool.mapstar, mpool.starmapstar)  # pyright: ignore[reportAttributeAccessIssue]

    def describe(task: Any) -> Tuple[Any, int, int]:
        job, i, func, args, _kw = task
        items = 1
        if func in starfuncs and args:
            try:
                items = len(args[0][1])
            except Exception:
                items = 1
        elif ITEM_COUNTERS:
            for count in ITEM_COUNTERS:
                n = count(func)
                if n:
                    items = n
                    break
        return job, i, items

    instrument_worker(inqueue, outqueue, sq_ref(inqueue), "pool.worker", "the pool's shutdown", describe, lambda obj: bool(obj[2][0]))


def worker(inqueue: Any, outqueue: Any, *args: Any, **kwargs: Any) -> Any:
    """multiprocessing.pool.worker, with the task/result accounting of Forkscope."""
    if E.enabled and hasattr(inqueue, "_reader"):  # not a ThreadPool's thread
        try:
            _instrument_pool_worker(inqueue, outqueue)
        except Exception as e:  # noqa: BLE001
            E.fail("pool.worker", e)
    return _orig["worker"](inqueue, outqueue, *args, **kwargs)


def _declare_pool(pool: Any, kind: Any, site: Any, tref: Any, rref: Any, processes: Any, maxtasks: Any) -> Any:
    """Names a new Pool or executor (`pool` event) and declares its task and result channels; returns its ref."""
    ref = "%d:pool%d" % (E.pid, next(_n))
    pool._fk_pool = ref
    E.emit(["pool", E.time(), {"ref": ref, "kind": kind, "processes": processes, "maxtasksperchild": maxtasks, "tasks": tref, "results": rref, "name": site.name, "file": site.file, "line": site.line}])
    _chan("pool", tref, (site.name or kind) + " tasks", site, ref)
    _chan("pool", rref, (site.name or kind) + " results", site, ref)
    return ref


def _made_at_user_site(orig: Callable[..., Any], what: str, declare: Callable[[Any, Any], None]) -> Any:
    """A pool's `__init__`: the user's site is read before it starts workers, and `declare(pool,
    site)` names the pool once it is built (its own errors contained)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        site = None
        if E.enabled:
            try:
                site = sites.user_site(2)
            except Exception as e:  # noqa: BLE001
                E.fail(what, e)
        orig(self, *args, **kwargs)
        if site is not None and E.enabled:
            try:
                declare(self, site)
            except Exception as e:  # noqa: BLE001
                E.fail(what, e)

    return __init__


def _declare_mp_pool(pool: Any, site: Any) -> None:
    if hasattr(pool._inqueue, "_reader"):  # ThreadPool: threads, not processes
        pool._outqueue._reader._fk_tag = "result"
        ref = _declare_pool(pool, "pool", site, sq_ref(pool._inqueue), sq_ref(pool._outqueue), pool._processes, pool._maxtasksperchild)
        notifier = getattr(pool, "_change_notifier", None)  # the Pool's wake-up queue, main to main
        if notifier is not None:
            _chan("pool", sq_ref(notifier), (site.name or "pool") + " notifier", site, ref)


def _pcall(pool: Any, job: Any, method: Any, tasks: Any, chunksize: Any) -> None:
    ref = getattr(pool, "_fk_pool", None)
    if ref is not None and not getattr(pool, "_fk_batched", False):  # joblib's batches: its Parallel call is the pcall
        E.emit(["pcall", E.time(), {"pool": ref, "job": job, "method": method, "tasks": tasks, "chunksize": chunksize}])


def _make_public(orig: Callable[..., Any], name: str, called: Optional[Callable[..., None]] = None) -> Any:
    """A public Pool method (map, imap, apply_async, …): the outermost one names the calls it makes
    (map → _map_async), and `called(pool, method, result, outer, args, kwargs)` records the call after it,
    `method` being the outermost method's name."""

    @sites.hidden
    def method(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_fk_pool", None) is None:  # not recorded (a ThreadPool, or made before install)
            try:
                return orig(self, *args, **kwargs)
            except BaseException as e:
                sites.hide(e)
                raise
        outer = getattr(_local, "method", None) is None
        if outer:
            _local.method = name
        try:
            r = orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            if outer:
                _local.method = None
        if called is not None and E.enabled:
            try:
                called(self, name if outer else _local.method, r, outer, args, kwargs)
            except Exception as e:  # noqa: BLE001
                E.fail("Pool." + name, e)
        return r

    return method


def _imap_called(pool: Any, method: str, r: Any, outer: bool, args: Any, kwargs: Any) -> None:
    if outer:
        it: Any = args[1] if len(args) > 1 else kwargs.get("iterable")
        cs = args[2] if len(args) > 2 else kwargs.get("chunksize", 1)
        n = len(it) if hasattr(it, "__len__") else None
        _pcall(pool, getattr(_local, "imap_job", None), method, n, cs)


def _make_imap_init(orig: Callable[..., Any]) -> Any:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        _local.imap_job = getattr(self, "_job", None)  # imap with chunksize > 1 returns a generator

    return __init__


def _map_async_called(pool: Any, method: str, r: Any, outer: bool, args: Any, kwargs: Any) -> None:
    _pcall(pool, r._job, method, len(r._value), r._chunksize)


def _apply_async_called(pool: Any, method: str, r: Any, outer: bool, args: Any, kwargs: Any) -> None:
    _pcall(pool, r._job, method, 1, None)


def _result_pool_ref(result: Any) -> Any:
    """The pool ref of an AsyncResult/IMapIterator (the `ref` of its `pool.result` wait), else None."""
    try:
        return getattr(result._pool, "_fk_pool", None)
    except Exception:
        return None


def _make_result_wait(orig: Callable[..., Any]) -> Callable[..., Any]:
    return waiting_call(orig, "pool.result", _result_pool_ref)


# ---- ProcessPoolExecutor -------------------------------------------------------------------


def _instrument_executor_worker(call_queue: Any, result_queue: Any) -> None:
    from concurrent.futures import process as cfp

    chunk_fn = getattr(cfp, "_process_chunk", None)

    def describe(item: Any) -> Tuple[Any, int, int]:
        items = 1
        fn = getattr(item, "fn", None)
        if chunk_fn is not None and getattr(fn, "func", None) is chunk_fn and item.args:
            try:
                items = len(item.args[0])
            except Exception:
                items = 1
        return item.work_id, 0, items

    ref = getattr(call_queue, "_fk_ref", None) or pipe_ref(call_queue)
    def succeeded(obj: Any) -> bool:
        return getattr(obj, "exception", None) is None

    instrument_worker(call_queue, result_queue, ref, "executor.worker", "the executor's shutdown", describe, succeeded, once=True)


def _process_worker(call_queue: Any, result_queue: Any, *args: Any, **kwargs: Any) -> Any:
    """concurrent.futures.process._process_worker, with Forkscope's task accounting."""
    if E.enabled:
        try:
            _instrument_executor_worker(call_queue, result_queue)
        except Exception as e:  # noqa: BLE001
            E.fail("executor.worker", e)
    return _orig["_process_worker"](call_queue, result_queue, *args, **kwargs)


def _declare_executor(ex: Any, site: Any) -> None:
    cq = ex._call_queue
    ex._result_queue._reader._fk_tag = "result"
    tref = getattr(cq, "_fk_ref", None) or pipe_ref(cq)
    _declare_pool(ex, "executor", site, tref, sq_ref(ex._result_queue), ex._max_workers, getattr(ex, "_max_tasks_per_child", None))


def _make_submit(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def submit(self, *args: Any, **kwargs: Any) -> Any:
        job = getattr(self, "_queue_count", None)
        try:
            f = orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        if E.enabled:
            try:
                m = getattr(_local, "emap", None)
                if m is not None:
                    if m[0] is None:
                        m[0] = job
                    try:
                        m[1] += len(args[1])
                    except Exception:
                        m[1] += 1
                else:
                    _pcall(self, job, "submit", 1, None)
            except Exception as e:  # noqa: BLE001
                E.fail("executor.submit", e)
        return f

    return submit


def _make_emap(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def map(self, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_local, "emap", None) is None
        if outer:
            _local.emap = [None, 0]
        try:
            r = orig(self, *args, **kwargs)
        except BaseException as e:
            sites.hide(e)
            raise
        finally:
            m = _local.emap
            if outer:
                _local.emap = None
        if outer and E.enabled:
            try:
                _pcall(self, m[0], "map", m[1], kwargs.get("chunksize", 1))
                if kwargs.get("buffersize") is not None:  # Python 3.14: the rest is submitted as results are taken
                    return _lazy_map(r, self, m[0], kwargs.get("chunksize", 1))
            except Exception as e:  # noqa: BLE001
                E.fail("executor.map", e)
        return r

    return map


def _lazy_map(it: Any, executor: Any, job: Any, chunksize: Any) -> Iterator[Any]:
    """The result iterator of `Executor.map(..., buffersize=N)` (Python 3.14), which submits one more
    call each time a result is taken: those submits count into the same map call, reported as a
    `pcall` with `"lazy": true` (added to the map's tasks) when the iterator ends or is closed."""
    m = [job, 0]
    try:
        while True:
            prev = getattr(_local, "emap", None)
            _local.emap = m
            try:
                x = next(it)
            except StopIteration:
                return
            except BaseException as e:
                sites.hide(e)
                raise
            finally:
                _local.emap = prev
            yield x
    finally:
        try:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # the map's own clean-up (cancelling what was not taken) runs now, as it would have
        finally:
            if m[1] and E.enabled:
                try:
                    ref = getattr(executor, "_fk_pool", None)
                    if ref is not None:
                        E.emit(["pcall", E.time(), {"pool": ref, "job": job, "method": "map", "tasks": m[1], "chunksize": chunksize, "lazy": True}])
                except Exception as e:  # noqa: BLE001
                    E.fail("executor.map", e)


sites.HIDDEN.add(_lazy_map.__code__)


def _make_future_result(orig: Callable[..., Any], what: str) -> Callable[..., Any]:
    return waiting_call(orig, what)


def _replace_worker_loop(module: Any, name: str, loop: Any, role: str) -> None:
    """Puts `loop` in place of the module's worker loop, looking like it (a Process target the
    child's role is told by, and what pickles by name for spawn), both known as `role`."""
    _orig[name] = getattr(module, name)
    loop.__module__ = module.__name__
    loop.__qualname__ = loop.__name__ = name
    loop.__wrapped__ = _orig[name]
    replace(module, name, loop)
    processes.register_role(loop, role)
    processes.register_role(_orig[name], role)


def _patch_pool(mpool: Any) -> None:
    _replace_worker_loop(mpool, "worker", worker, "pool-worker")
    P = mpool.Pool
    replace(P, "__init__", _made_at_user_site(P.__init__, "Pool", _declare_mp_pool))
    for name in ("map", "starmap", "map_async", "starmap_async", "apply"):
        replace(P, name, _make_public(getattr(P, name), name))
    for name in ("imap", "imap_unordered"):
        replace(P, name, _make_public(getattr(P, name), name, _imap_called))
    replace(P, "apply_async", _make_public(P.apply_async, "apply_async", _apply_async_called))
    replace(P, "_map_async", _make_public(P._map_async, "map_async", _map_async_called))
    AR = mpool.ApplyResult
    replace(AR, "get", _make_result_wait(AR.get))
    replace(AR, "wait", _make_result_wait(AR.wait))
    IT = mpool.IMapIterator
    replace(IT, "__init__", _make_imap_init(IT.__init__))
    nxt = _make_result_wait(IT.next)
    replace(IT, "next", nxt)
    replace(IT, "__next__", nxt)


def _patch_executor(cfp: Any) -> None:
    _replace_worker_loop(cfp, "_process_worker", _process_worker, "executor-worker")
    X = cfp.ProcessPoolExecutor
    replace(X, "__init__", _made_at_user_site(X.__init__, "ProcessPoolExecutor", _declare_executor))
    replace(X, "submit", _make_submit(X.submit))
    replace(X, "map", _make_emap(X.map))


def _patch_future(cfb: Any) -> None:
    replace(cfb.Future, "result", _make_future_result(cfb.Future.result, "future.result"))
