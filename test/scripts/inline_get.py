"""Queue.get under the runtime (queues._inline_get): argv[1] "profile" counts the calls into the
runtime's own functions while the main process takes 3,000 messages from 3 producers; "fallback"
first refuses the inline get (as on a Python whose source is not the expected shape), so the
queue reads through the counting wrapper. Prints the messages taken, then (profile) the calls."""
import multiprocessing as mp
import sys

N = 1000


def produce(q, n):
    for i in range(n):
        q.put(i)


def main(mode):
    if mode == "fallback":
        import forkscope_runtime.queues as FQ

        FQ._inline_get = lambda orig: (None, None, None)
    q = mp.Queue()
    ps = [mp.Process(target=produce, args=(q, N), name="producer%d" % i) for i in range(3)]
    for p in ps:
        p.start()
    calls = []

    def profile(frame, event, arg):
        # (the read lock's `with` included: the inline get takes the lock's C semaphore, no frame of the runtime's)
        code = frame.f_code
        if event == "call" and "forkscope_runtime" in code.co_filename:
            calls.append(code.co_name)

    got = 0
    sys.setprofile(profile if mode == "profile" else None)
    try:
        for _ in range(3 * N):
            got += q.get() >= 0
    finally:
        sys.setprofile(None)
    for p in ps:
        p.join()
    print(got)
    if mode == "profile":
        print(len(calls), " ".join(sorted(set(calls))))


if __name__ == "__main__":
    main(sys.argv[1])
