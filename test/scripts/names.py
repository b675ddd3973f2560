"""Names from assignments: tuple, starred, chained, attribute, dict item, list and dict displays,
multi-line tuples, two statements on one line, a Pipe's two ends, `with ... as`, and a walrus."""
import multiprocessing as mp


class Holder:
    def __init__(self):
        self.q = mp.Queue()
        self.lk = mp.Lock()


def main():
    tasks, results = mp.Queue(), mp.Queue()
    first, *rest = mp.Queue(), mp.SimpleQueue(), mp.JoinableQueue()
    head, *middle, tail = mp.Lock(), mp.RLock(), mp.Semaphore(), mp.BoundedSemaphore(2)
    (reader, writer) = mp.Pipe(duplex=False)
    x = y = mp.Queue()
    h = Holder()
    qs = {}
    qs["in"] = mp.Queue()
    table = {"a": mp.Lock(), "b": mp.RLock()}
    listed = [mp.Value("i", 1), mp.Array("d", 3)]
    left, right = (
        mp.Queue(),
        mp.Queue(),
    )
    one = mp.Lock(); two = mp.Lock()  # noqa: E702
    if (walrus := mp.Queue()) is not None:
        pass
    a, (b, c) = mp.Lock(), (mp.Lock(), mp.Lock())
    with mp.Pool(1) as pool:
        pool.map(abs, [1])
    return tasks, results, first, rest, head, middle, tail, reader, writer, x, y, h, qs, table, listed, left, right, one, two, walrus, a, b, c


if __name__ == "__main__":
    main()
    print("ok")
