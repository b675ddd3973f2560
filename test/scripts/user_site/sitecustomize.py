"""A user's own sitecustomize (test_children.py): Forkscope's child hook must run it, once."""
import os
import sys

print("user sitecustomize", os.getpid() > 0, [os.path.basename(p) for p in sys.path if p.endswith("user_site")], flush=True)
