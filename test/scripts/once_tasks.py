"""One ProcessPoolExecutor worker runs TASKS tiny tasks, one at a time. Two of them, the 10th and the
last, look at the worker itself: how many objects its garbage collector tracks, and, when the
runtime is loaded, what its task tables hold. Prints those on stderr, the sum on stdout."""
import concurrent.futures as cf
import gc
import sys

TASKS = 300


def work(i):
    return i


def look(_i):
    """(objects tracked, tasks counted in events.tasks, tasks counted by events.task_once)."""
    gc.collect()
    ev = sys.modules.get("forkscope_runtime.events")
    return len(gc.get_objects()), (len(ev.tasks) if ev else None), (len(getattr(ev, "once_busy", ())) if ev else None)


if __name__ == "__main__":
    with cf.ProcessPoolExecutor(1) as ex:
        total = 0
        for i in range(TASKS):
            total += ex.submit(work, i).result()
            if i == 9:
                early = ex.submit(look, i).result()
        late = ex.submit(look, TASKS).result()
    print(total)
    print("early", *early, "late", *late, file=sys.stderr)
