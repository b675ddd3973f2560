"""Benchmark: prints the wall clock at the script's first line (the run-start line of `npm run bench`)."""
import time

print(repr(time.time()), flush=True)
