"""joblib and loky: both of joblib's process backends as pools (imported only when they are).

loky (vendored as `joblib.externals.loky`, or the standalone `loky` package):
- Launch: a loky worker is started by `<pkg>.backend.fork_exec.fork_exec(cmd, keep_fds, env)`
  with `cmd = [python, "-m", "<pkg>.backend.popen_loky_posix", "--process-name", N, "--pipe",
  FD]` (up to loky 3.4 through os.fork + execve, from 3.5 through `_posixsubprocess.fork_exec`;
  the Popen imports `fork_exec` from that module at each launch). The wrapper rewrites the
  command to `python -c <the runtime's import prefix, then runpy's own -m path for the same
  module> --process-name N --pipe FD`: the child loads the runtime, then runs loky's module
  exactly as `-m` would (`sys.argv[0]` the module's file, `sys.path[0]` the working directory).
  The process object the parent pickles carries its Forkscope key like any other, so the
  worker's `_bootstrap` announces it (role from its target, start method `loky`).
- Workers: `<pkg>.process_executor._process_worker` is replaced by a function of the same
  module and name (pickled by reference, as loky's pickler does for module functions) that
  counts each call item it gets from its call queue and the result it puts back (chunk = one
  joblib batch, items = the batch's calls), then runs loky's own worker.
- Messages: loky pickles queue traffic with its own `reduction.dumps` (a Queue's feeder thread in
  `Queue._feed`, `SimpleQueue.put`). Both run their own code with a `dumps` that appends the
  runtime's sender trailer (channels.py): the receiving ends (multiprocessing's Queue `get`, the
  result reader's `Connection.recv`) then count them like any other. The feeder's dumps also
  counts what it sends (its writer is not counted by the send hook, as for a Queue).
- Pools: each `Parallel` call on the loky backend is a pool (`pool` event, kind `executor`) on the
  executor's call and result queues; loky reuses one executor for many calls, so the pool says
  which of its work ids are its own (`jobs`: [first, last], last null while it runs) and is
  announced again when the call ends, with a `pcall` (method `Parallel`, the user's calls,
  joblib's batch size).

joblib's `backend="multiprocessing"` (a `multiprocessing.pool.Pool` subclass, one per `Parallel`
call): the Pool is recorded by pools.py; here its `CustomizablePicklingQueue`s send with a
trailer (joblib's own pickler and reducers, then `send_bytes`; without numpy there are no
reducers and the queue's own `Connection.send` is counted by pipes.py), a `put` that finds the
write lock taken is a `queue.put` wait either way, the pool is named after the user's line, its
batches count their calls, and the `Parallel` call is its one `pcall`.

Nothing here changes what is computed or pickled but the 16-byte trailer after each pickle.
"""

from __future__ import annotations

import os
import sys
import types

from . import emitter as E
from . import processes
from . import sites
from .patching import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Tuple

LOKY_PACKAGES = ("joblib.externals.loky", "loky")
_open = {}  # id(backend) -> [pool ref, t0, first job, site, tref, rref, processes, parallel]

RUN_AS_MAIN = (
    "import sys as _s, os as _o\n"
    "if _s.path and _s.path[0] == '':\n"
    " _s.path[0] = _o.getcwd()\n"
    "del _s, _o\n"
    "__import__('runpy')._run_module_as_main(%r)\n"
)


# ---- frames: joblib's and loky's own code is library code ----------------------------------


def _library_dir(module: Any) -> None:
    """Marks the package directory of `module` as library code for sites (so the channels it
    makes are internal, and a user's line is the first frame outside it)."""
    try:
        d = os.path.dirname(os.path.abspath(module.__file__)) + os.sep
        if d not in sites._STDLIB_DIRS:
            sites._STDLIB_DIRS = sites._STDLIB_DIRS + (d,)
    except Exception as e:  # noqa: BLE001
        E.fail("joblib", e)


def _patch_joblib(mod: Any) -> None:
    _library_dir(mod)


def _patch_loky(mod: Any) -> None:
    _library_dir(mod)


def user_site() -> Any:
    """The Site (file, line, name) of the innermost frame outside the runtime, the standard library's
    multiprocessing and joblib/loky (the user's `Parallel(...)(...)` line)."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not (sites._is_runtime(fn) or fn.startswith("<") or any(fn.startswith(d) for d in sites._STDLIB_DIRS) or fn in sites._CONTEXT_FILES):
            return sites.Site(fn, f.f_lineno, sites._name_at(fn, f.f_lineno, f.f_globals), False)
        f = f.f_back
    return sites.Site(None, None, None, False)


# ---- launch ----------------------------------------------------------------------------------


def launch_command(cmd: Any) -> Any:
    """loky's worker command line with the runtime's import in front of its module: `-m MOD` becomes
    `-c PREFIX+run MOD as __main__`; any other command is returned unchanged."""
    cmd = list(cmd)
    try:
        i = cmd.index("-m", 1)  # (interpreter flags may come first)
    except ValueError:
        return cmd
    if i + 1 >= len(cmd) or not isinstance(cmd[i + 1], str) or not cmd[i + 1].endswith(".popen_loky_posix"):
        return cmd
    root = E.cfg.root
    cmd[i : i + 2] = ["-c", processes.PREFIX % (root, "process", root) + RUN_AS_MAIN % cmd[i + 1]]
    return cmd


def _make_fork_exec(orig: Callable[..., Any]) -> Any:
    @sites.hidden
    def fork_exec(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        if E.enabled:
            try:
                cmd = launch_command(cmd)
            except Exception as e:  # noqa: BLE001
                E.fail("loky.fork_exec", e)
        return orig(cmd, *args, **kwargs)

    fork_exec.__wrapped__ = orig  # pyright: ignore[reportFunctionMemberAccess]
    return fork_exec


def _patch_fork_exec(mod: Any) -> None:
    replace(mod, "fork_exec", _make_fork_exec(mod.fork_exec))


def _patch_popen(mod: Any) -> None:
    P = getattr(mod, "Popen", None)
    if P is not None and "poll" in P.__dict__:
        replace(P, "poll", processes._make_poll(P.poll))


# ---- messages ----------------------------------------------------------------------------------


_source: List[Any] = []  # the trailer source of joblib's and loky's own sending paths, once made


def _trailer() -> Any:
    """The next sender trailer of joblib's and loky's own sending paths (one source for them)."""
    if not _source:
        from .channels import trailer_source

        _source.append(trailer_source())
    return _source[0]()


def _known_dumps(orig: Callable[..., Any]) -> bool:
    """Whether loky's `reduction.dumps` is its three lines (loky 3.x): a BytesIO, `dump(obj, buf,
    reducers=…, protocol=…)`, `buf.getbuffer()`."""
    try:
        code = orig.__code__
        return code.co_names == ("io", "BytesIO", "dump", "getbuffer") and code.co_varnames[:4] == ("obj", "reducers", "protocol", "buf")
    except Exception:
        return False


def _make_dumps(orig: Callable[..., Any], counter: Any = None) -> Any:
    """loky's `reduction.dumps` with the sender trailer after the pickle (and, for a feeder, the
    message counted in `counter` [msgs, bytes]). Where loky's dumps is the known three lines, the
    trailer is written into the same buffer: a result of many megabytes is not copied to append
    16 bytes. A payload that cannot be pickled is handed to loky's own dumps, which raises the same
    error with its own traceback."""
    join = b"".join
    dump = orig.__globals__.get("dump") if _known_dumps(orig) else None

    if dump is not None:
        from io import BytesIO

        def dumps(obj: Any, *args: Any, **kwargs: Any) -> Any:
            if not E.enabled:
                return orig(obj, *args, **kwargs)
            f = BytesIO()
            try:
                dump(obj, f, *args, **kwargs)
            except Exception:
                f = None  # (raised again below, outside this handler: no chained context)
            except BaseException as e:
                sites.hide(e)
                raise
            if f is None:
                try:
                    return orig(obj, *args, **kwargs)
                except BaseException as e:
                    sites.hide(e)
                    raise
            try:
                n = f.tell()
                f.write(_trailer())
                if counter is not None:
                    counter[0] += 1
                    counter[1] += n
                return f.getbuffer()
            except Exception as e:  # noqa: BLE001
                E.fail("loky.dumps", e)
                return orig(obj, *args, **kwargs)

    else:

        def dumps(obj: Any, *args: Any, **kwargs: Any) -> Any:
            buf = orig(obj, *args, **kwargs)
            if not E.enabled:
                return buf
            try:
                out = join((buf, _trailer()))
                if counter is not None:
                    counter[0] += 1
                    counter[1] += len(buf)
                return out
            except Exception as e:  # noqa: BLE001
                E.fail("loky.dumps", e)
                return buf

    sites.HIDDEN.add(dumps.__code__)
    return dumps


def _with_globals(func: Any, **names: Any) -> Any:
    """`func`'s own code run with its module's globals but for `names`."""
    g = dict(func.__globals__)
    g.update(names)
    f = types.FunctionType(func.__code__, g, func.__name__, func.__defaults__, func.__closure__)
    f.__kwdefaults__ = func.__kwdefaults__
    f.__qualname__ = func.__qualname__
    f.__doc__ = func.__doc__
    return f


def _make_feed(orig: Callable[..., Any]) -> Any:
    """loky's Queue._feed (the feeder thread's body), its own code with a dumps that trails and
    counts under the queue's ref (its writer is quiet for the send hook, as a Queue's)."""
    plain_dumps = orig.__globals__.get("dumps")

    def _feed(*args: Any) -> Any:
        body = orig
        try:
            writer = args[2].__self__  # args[2]: the writer's send_bytes
            ref = getattr(writer, "_fk_qref", None)
            if ref is not None and E.enabled and plain_dumps is not None:
                c = E.sent.get(ref)
                if c is None:
                    c = E.sent[ref] = [0, 0]
                body = _with_globals(orig, dumps=_make_dumps(plain_dumps, c))
        except Exception as e:  # noqa: BLE001
            body = orig
            E.fail("loky.Queue._feed", e)
        return body(*args)

    return staticmethod(_feed)


def _patch_queues(mod: Any) -> None:
    Q = getattr(mod, "Queue", None)
    if Q is not None and "_feed" in Q.__dict__:
        replace(Q, "_feed", _make_feed(Q.__dict__["_feed"].__func__))
    SQ = getattr(mod, "SimpleQueue", None)
    if SQ is not None and "put" in SQ.__dict__ and "dumps" in SQ.put.__globals__:
        replace(SQ, "put", _with_globals(SQ.put, dumps=_make_dumps(SQ.put.__globals__["dumps"])))


# ---- workers -----------------------------------------------------------------------------------


def batch_items(fn: Any) -> Any:
    """The number of the user's calls in a joblib batch (`BatchedCalls`, possibly inside joblib's
    `SafeFunction`), else None."""
    for _ in range(3):
        if fn is None:
            return None
        if type(fn).__name__ == "BatchedCalls":
            try:
                return len(fn)
            except Exception:
                return None
        fn = getattr(fn, "func", None)
    return None


def _instrument_loky_worker(call_queue: Any, result_queue: Any) -> None:
    from . import pools
    from .channels import pipe_ref

    ref = getattr(call_queue, "_fk_ref", None) or pipe_ref(call_queue)
    rref = pipe_ref(result_queue)

    def describe(item: Any) -> Optional[Tuple[Any, int, int]]:
        if not hasattr(item, "work_id"):
            return None
        return item.work_id, 0, batch_items(getattr(item, "fn", None)) or 1

    # loky's worker ends on its own None (its end stays "returned"): no sentinel to tell.
    def succeeded(result: Any) -> bool:
        return getattr(result, "exception", None) is None

    pools.instrument_worker(call_queue, result_queue, ref, "loky.worker", None, describe, succeeded, once=True)
    # Sending a result waits when another worker holds the result queue's write lock: the standard
    # library's Lock reports that through its `with` (locks.py); loky's own Lock class is wrapped,
    # in this worker only, by one that does the same.
    wlock = getattr(result_queue, "_wlock", None)
    if wlock is not None:
        if hasattr(type(wlock), "_fk_wait"):
            wlock._fk_wait = ("queue.put", rref)
        elif getattr(wlock, "_semlock", None) is not None:
            result_queue._wlock = _WaitingLock(wlock, rref)


class _WaitingLock:
    """A loky Lock as `with` uses it, reporting a contended acquire as a `queue.put` wait on `ref`
    (the same semaphore calls as loky's SemLock.__enter__/__exit__; anything else is the lock's)."""

    __slots__ = ("_fk_lock", "_fk_sl", "_fk_ref")

    def __init__(self, lock: Any, ref: Any) -> None:
        self._fk_lock = lock
        self._fk_sl = lock._semlock
        self._fk_ref = ref

    @sites.hidden
    def __enter__(self) -> Any:
        sl = self._fk_sl
        if sl.acquire(False):
            return True
        w = E.msg_wait_begin("queue.put", self._fk_ref)
        try:
            return sl.__enter__()
        finally:
            E.msg_wait_end(w)

    def __exit__(self, *args: Any) -> Any:
        return self._fk_sl.__exit__(*args)

    def __getattr__(self, name: Any) -> Any:
        return getattr(self._fk_lock, name)


def _make_process_worker(orig: Callable[..., Any], module_name: Any) -> Any:
    def _process_worker(call_queue: Any, result_queue: Any, *args: Any, **kwargs: Any) -> Any:
        if E.enabled:
            try:
                _instrument_loky_worker(call_queue, result_queue)
            except Exception as e:  # noqa: BLE001
                E.fail("loky.worker", e)
        return orig(call_queue, result_queue, *args, **kwargs)

    _process_worker.__module__ = module_name
    _process_worker.__qualname__ = _process_worker.__name__ = "_process_worker"
    _process_worker.__doc__ = orig.__doc__
    _process_worker.__wrapped__ = orig  # pyright: ignore[reportFunctionMemberAccess]
    return _process_worker


def _patch_executor(mod: Any) -> None:
    orig = mod._process_worker
    w = _make_process_worker(orig, mod.__name__)
    replace(mod, "_process_worker", w)
    processes.register_role(w, "executor-worker")
    processes.register_role(orig, "executor-worker")


# ---- Parallel calls as pools -------------------------------------------------------------------


def _emit_pool(st: Any, last: Any, closing: Any) -> None:
    ref, t0, first, site, tref, rref, n, _parallel, kind = st[:9]
    name = site.name
    E.emit(["pool", t0, {"ref": ref, "kind": kind, "processes": n, "maxtasksperchild": None, "tasks": tref, "results": rref, "name": name, "file": site.file, "line": site.line, "jobs": [first, last] if kind == "executor" else None, "library": "joblib"}])
    if not closing:
        for what, r in (("tasks", tref), ("results", rref)):
            E.emit(["chan", t0, {"ref": r, "kind": "pool", "name": (name or "Parallel") + " " + what, "file": site.file, "line": site.line, "refs": [r], "pool": ref}])


def _close(backend: Any) -> None:
    st = _open.pop(id(backend), None)
    if st is None or not E.enabled:
        return
    parallel = st[7]
    if st[8] == "executor":
        ex = getattr(backend, "_workers", None)
        last = getattr(ex, "_queue_count", st[2]) - 1
        _emit_pool(st, last, True)
    bs = getattr(parallel, "batch_size", None)
    E.emit(["pcall", E.time(), {"pool": st[0], "job": st[2], "method": "Parallel", "tasks": getattr(parallel, "n_dispatched_tasks", None), "chunksize": bs if isinstance(bs, int) else None, "batches": getattr(parallel, "n_dispatched_batches", None)}])
    E.flush()


def _make_loky_configure(orig: Callable[..., Any]) -> Any:
    def configure(self, *args: Any, **kwargs: Any) -> Any:
        t0 = E.time()
        r = orig(self, *args, **kwargs)
        if E.enabled:
            try:
                from . import pools
                from .channels import pipe_ref, sq_ref

                ex = self._workers
                cq, rq = ex._call_queue, ex._result_queue
                parallel = kwargs.get("parallel", args[1] if len(args) > 1 else None)
                st = ["%d:pool%d" % (E.pid, next(pools._n)), t0, ex._queue_count, user_site(), getattr(cq, "_fk_ref", None) or pipe_ref(cq), sq_ref(rq), r, parallel, "executor"]
                _open[id(self)] = st
                _emit_pool(st, None, False)
            except Exception as e:  # noqa: BLE001
                E.fail("joblib.LokyBackend", e)
        return r

    return configure


def _make_mp_configure(orig: Callable[..., Any]) -> Any:
    def configure(self, *args: Any, **kwargs: Any) -> Any:
        t0 = E.time()
        r = orig(self, *args, **kwargs)
        pool = getattr(self, "_pool", None)
        if E.enabled and pool is not None and getattr(pool, "_fk_pool", None) is not None:
            try:
                from .channels import sq_ref

                pool._fk_batched = True  # its apply_async calls are joblib's batches: the Parallel call is the pcall
                parallel = kwargs.get("parallel", args[1] if len(args) > 1 else None)
                st = [pool._fk_pool, t0, None, user_site(), sq_ref(pool._inqueue), sq_ref(pool._outqueue), pool._processes, parallel, "pool"]
                _open[id(self)] = st
                _emit_pool(st, None, False)
            except Exception as e:  # noqa: BLE001
                E.fail("joblib.MultiprocessingBackend", e)
        return r

    return configure


def _make_terminate(orig: Callable[..., Any]) -> Any:
    def terminate(self, *args: Any, **kwargs: Any) -> Any:
        try:
            _close(self)
        except Exception as e:  # noqa: BLE001
            E.fail("joblib.terminate", e)
        return orig(self, *args, **kwargs)

    return terminate


def _patch_backends(mod: Any) -> None:
    L = getattr(mod, "LokyBackend", None)
    if L is not None:
        replace(L, "configure", _make_loky_configure(L.configure))
        replace(L, "terminate", _make_terminate(L.terminate))
    M = getattr(mod, "MultiprocessingBackend", None)
    if M is not None:
        replace(M, "configure", _make_mp_configure(M.configure))
        replace(M, "terminate", _make_terminate(M.terminate))


# ---- joblib.pool: CustomizablePicklingQueue ----------------------------------------------------


def _make_methods_wrapper(orig: Callable[..., Any], pickler_of: Any) -> Any:
    def _make_methods(self) -> None:
        orig(self)
        if not E.enabled:
            return
        try:
            from io import BytesIO

            from .channels import conn_ref

            writer = self._writer
            reducers = self._reducers
            ref = conn_ref(writer)
            begin, end = E.msg_wait_begin, E.msg_wait_end

            if reducers:  # (joblib has reducers where numpy imports: its memmapping)
                Pickler = pickler_of()

                def send(obj: Any) -> None:
                    buffer = BytesIO()
                    Pickler(buffer, reducers).dump(obj)
                    if E.enabled:
                        buffer.write(_trailer())
                    writer.send_bytes(buffer.getvalue())

                self._send = send
                sites.HIDDEN.add(send.__code__)
            else:
                send = self._send  # the writer's own send: Connection.send, counted by pipes.py
            if self._wlock is None:
                self.put = send
            else:
                wlock_acquire, wlock_release = self._wlock.acquire, self._wlock.release

                def put(obj: Any) -> Any:
                    if not wlock_acquire(False):  # another process is sending: a queue.put wait
                        w = begin("queue.put", ref)
                        try:
                            wlock_acquire()
                        finally:
                            end(w)
                    try:
                        return send(obj)
                    finally:
                        wlock_release()

                self.put = put
                sites.HIDDEN.add(put.__code__)
        except Exception as e:  # noqa: BLE001
            E.fail("joblib.CustomizablePicklingQueue", e)

    return _make_methods


def _patch_joblib_pool(mod: Any) -> None:
    Q = getattr(mod, "CustomizablePicklingQueue", None)
    if Q is not None and "_make_methods" in Q.__dict__ and hasattr(mod, "CustomizablePickler"):
        replace(Q, "_make_methods", _make_methods_wrapper(Q._make_methods, lambda: mod.CustomizablePickler))
    from . import pools

    if batch_items not in pools.ITEM_COUNTERS:
        pools.ITEM_COUNTERS.append(batch_items)
