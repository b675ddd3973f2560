"""07 · Shared memory: Value and Array.

`Value` and `Array` live in shared memory: every process sees the same bytes,
so no messages are sent. `counter.value += 1` is a read and a write: without
the Value's own lock, two processes can read the same old value and one
increment is lost. Here the unsafe update reads, yields the CPU, then writes,
so the race happens on every machine (even one core), not just sometimes.

In the inspector, look at:
  * the Flows tab: no messages at all — shared memory is not a channel;
  * the timeline: the adders run side by side without waiting on any channel;
  * the Locks & shared tab: the three shared objects — `safe` (a Value with its
    own lock), `unsafe` (a Value without one) and `squares` (an Array);
  * the output: the safe counter is exactly 8000; the unsafe one is less
    (every lost update is one increment another process overwrote).
"""
import multiprocessing as mp
import time


def add(safe, unsafe, squares, index):
    """Increments both counters 2000 times and fills one slot of the array."""
    for _ in range(2000):
        with safe.get_lock():
            safe.value += 1
        old = unsafe.value  # a lost-update race: read…
        time.sleep(0)  # …let another process run (as a busy machine would)…
        unsafe.value = old + 1  # …and write back a value that may be stale
    squares[index] = index * index


if __name__ == "__main__":
    safe = mp.Value("i", 0)
    unsafe = mp.Value("i", 0, lock=False)
    squares = mp.Array("i", 4)
    workers = [mp.Process(target=add, args=(safe, unsafe, squares, i), name=f"adder-{i}") for i in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(f"safe counter: {safe.value} (expected 8000), unsafe: {unsafe.value}, squares: {list(squares)}")
