"""The main process sends through a Pipe and a SimpleQueue fast enough that its sends' countdown is in
the middle of a run of untimed messages, then forks a child that sends through the same kinds of
channel: each of the child's messages names the child as its sender, not the main process whose run
it inherited."""
import multiprocessing as mp


def child(conn, sq, n):
    for i in range(n):
        conn.send(i)
        sq.put(i)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    sq = ctx.SimpleQueue()
    for i in range(300):  # mid-run: the countdown doubles while sends come fast
        a.send(i)
        b.recv()
        sq.put(i)
        sq.get()
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=child, args=(w, sq, 40), name="sender")
    p.start()
    got = sum(r.recv() + sq.get() for _ in range(40))
    p.join()
    print(got)
