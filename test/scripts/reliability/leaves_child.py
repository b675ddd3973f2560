"""The main process ends while a plain fork child sleeps on (the test kills
it); prints the child's pid."""
import os
import time

pid = os.fork()
if pid == 0:
    time.sleep(30)
    os._exit(0)
print("child", pid, flush=True)
