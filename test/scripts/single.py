"""A run of one process: no children, no messages. The inspector shows its whole life."""
import time

total = 0
for i in range(200_000):
    total += i
time.sleep(0.2)
print(total)
