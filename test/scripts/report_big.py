"""Two children print 6,000 numbered lines each and put 2,000 items each on a
Queue that the main process reads: a recording of about a megabyte (output and
messages), which a report's page inflates in many chunks. Prints the sum."""
import multiprocessing as mp


def talk(k, q, n):
    for i in range(n):
        print("child-%d line %d %s" % (k, i, "x" * 40))
        if i % 3 == 0:
            q.put(i)


if __name__ == "__main__":
    q = mp.Queue()
    kids = [mp.Process(target=talk, args=(k, q, 6000)) for k in range(2)]
    for p in kids:
        p.start()
    total = sum(q.get() for _ in range(4000))
    for p in kids:
        p.join()
    print("sum", total)
