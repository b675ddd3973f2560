"""A stand-in for the standalone `loky` package, only its worker launch path (test fixture).

It reproduces how loky >= 3.5 starts a worker, as upstream's files stand (joblib/loky, loky 3.5.x:
`loky/backend/popen_loky_posix.py` Popen._launch and its `__main__` block, and
`loky/backend/fork_exec.py` fork_exec, which calls `_posixsubprocess.fork_exec` directly; read
from the stored copies, written here in our own words). It is named `loky` so the runtime's
import hooks see it as the real package; no loky is installed for the test interpreters."""
