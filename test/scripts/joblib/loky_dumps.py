"""What loky's sending paths pickle under the runtime: a 4 MiB result's pickle with the sender
trailer written after it in the same buffer (a memoryview of it, as loky's own dumps returns, not a
copy), and a payload that cannot be pickled raising loky's own error."""
import os
import pickle
import struct
import threading
import traceback

from joblib.externals.loky.backend import queues

dumps = queues.SimpleQueue.put.__globals__["dumps"]  # (the one a worker's result goes through)
payload = b"r" * (4 << 20)
out = dumps(payload)
magic, pid, _ = struct.unpack("<4sId", bytes(out[-16:]))
print(type(out).__name__, len(out) - 16 == len(pickle.dumps(payload)), pickle.loads(out) == payload, magic in (b"FkS1", b"FkU1"), pid == os.getpid())
try:
    dumps(threading.Lock())
except Exception as e:
    print(type(e).__name__, e, [f.name for f in traceback.extract_tb(e.__traceback__)])
