"""Python 3.14's forkserver authenticates each fork request with an HMAC handshake over a
Connection wrapping the request socket (multiprocessing.forkserver.connect_to_new_process).
The same calls here, over a Pipe between a parent and its child, then one user message: only the
message is a user message (test_children.py)."""

import multiprocessing
import os
import sys
from multiprocessing import connection

KEY = b"k" * 32


def child(conn):
    connection.deliver_challenge(conn, KEY)
    connection.answer_challenge(conn, KEY)
    conn.send("hello")


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    a, b = ctx.Pipe()
    p = ctx.Process(target=child, args=(b,), name="challenger")
    p.start()
    connection.answer_challenge(a, KEY)
    connection.deliver_challenge(a, KEY)
    print(a.recv())
    p.join()
    print(p.exitcode, os.path.basename(__file__))
