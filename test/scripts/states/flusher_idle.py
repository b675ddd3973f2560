"""A CPU-bound loop on the main thread while the runtime's flusher ticks every 20 ms: the runtime keeps
no new int or float alive from one tick to the next (test_states.py). One kept across ticks puts such a
loop into a slow state of Python's small-object allocator (docs/cli.md, "A worker's loop can run slower").
Prints each place in the runtime's module globals (two levels into lists, tuples and dicts) whose int
or float was replaced while the loop ran, one per line, then "done"."""

import sys
import time


def walk(out, path, v, depth):
    if type(v) is float or (type(v) is int and not -5 <= v <= 256):  # (small ints are shared, never new)
        out[path] = v  # the object itself: an id alone could be reused once the object is gone
    elif depth and isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            walk(out, path + (i,), x, depth - 1)
    elif depth and isinstance(v, dict):
        for k, x in list(v.items()):
            walk(out, path + (k,), x, depth - 1)


def values():
    out = {}
    for name, mod in list(sys.modules.items()):
        if name.startswith("forkscope_runtime"):
            for g, v in list(vars(mod).items()):
                walk(out, (name, g), v, 2)
    return out


def burn(seconds):
    end = time.perf_counter() + seconds
    s = 0
    while time.perf_counter() < end:
        for i in range(10000):
            s += i * i % 7
    return s


if __name__ == "__main__":
    burn(1.2)  # the detail budget refills to its cap (2,000 a second, from a tenth of it)
    before = values()
    burn(0.5)  # ticks: every 20 ms, then every 100 ms once it rests (transport.REST_MS)
    after = values()
    for path in sorted((p for p in after if p not in before or after[p] is not before[p]), key=repr):
        print(".".join(str(x) for x in path))
    print("done")
