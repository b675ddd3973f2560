"""Plain os.fork(): two children, one grandchild; each exits with os._exit."""
import os
import time

kids = []
for i in range(2):
    pid = os.fork()
    if pid == 0:
        if i == 1:
            g = os.fork()
            if g == 0:
                time.sleep(0.1)
                os._exit(0)
            os.waitpid(g, 0)
        time.sleep(0.1)
        os._exit(7 + i)
    kids.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids]
print(codes)
