"""A raw os.fork() child that ends with os._exit(3) while its parent never waits for it (a zombie
until the parent ends): its exit code comes from /proc (test/node/children.test.ts)."""
import os
import time

pid = os.fork()
if pid == 0:
    os._exit(3)
time.sleep(1.0)
print("parent done")
