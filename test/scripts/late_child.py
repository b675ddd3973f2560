"""Start-up before the action: the main process works alone for 0.4 s, then
starts one child that sends exactly one message back through a Queue. The
inspector's default view starts at the child; Fit shows the 0.4 s too."""
import multiprocessing as mp
import time


def send(q):
    q.put("one")


if __name__ == "__main__":
    time.sleep(0.4)  # imports, set-up: everything before the first child
    q = mp.Queue()
    p = mp.Process(target=send, args=(q,), name="sender")
    p.start()
    print(q.get())
    p.join()
