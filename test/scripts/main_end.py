"""The main process ends as argv[1] says: return, exit3 (sys.exit(3)), raise, osexit5, sigusr1."""
import os
import signal
import sys

how = sys.argv[1]
if how == "exit3":
    sys.exit(3)
elif how == "raise":
    raise KeyError("k")
elif how == "osexit5":
    os._exit(5)
elif how == "sigusr1":
    os.kill(os.getpid(), signal.SIGUSR1)
