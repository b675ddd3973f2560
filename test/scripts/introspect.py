"""Says whether the runtime is loaded and whether multiprocessing is patched."""
import multiprocessing.process as mpp
import sys
import time

print("runtime" if "forkscope_runtime" in sys.modules else "plain", mpp.BaseProcess.start.__module__, time.sleep.__module__ if hasattr(time.sleep, "__module__") else None)
