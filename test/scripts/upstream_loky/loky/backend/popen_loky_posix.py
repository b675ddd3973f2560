"""loky's Popen for LokyProcess (mirrors upstream loky/backend/popen_loky_posix.py, loky 3.5.x,
without its resource tracker): the parent pickles the preparation data and the process object,
starts `python -m <this module> --process-name N --pipe FD` through `fork_exec` (imported at each
launch, as upstream does), and writes the pickles into the pipe; run as `__main__`, the child reads
them, prepares like spawn and calls `_bootstrap()`."""

import os
import pickle
import signal
import sys
from io import BytesIO
from multiprocessing import process, spawn, util
from multiprocessing.context import reduction, set_spawning_popen


class Popen:
    method = "loky"

    def __init__(self, process_obj):
        sys.stdout.flush()
        sys.stderr.flush()
        self.returncode = None
        self._fds = []
        self._launch(process_obj)

    def poll(self, flag=os.WNOHANG):
        if self.returncode is None:
            try:
                pid, sts = os.waitpid(self.pid, flag)
            except OSError:
                return None
            if pid == self.pid:
                self.returncode = -os.WTERMSIG(sts) if os.WIFSIGNALED(sts) else os.WEXITSTATUS(sts)
        return self.returncode

    def wait(self, timeout=None):
        return self.poll(0 if timeout is None else os.WNOHANG)

    def terminate(self):
        if self.returncode is None:
            os.kill(self.pid, signal.SIGTERM)

    def _launch(self, process_obj):
        fp = BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(spawn.get_preparation_data(process_obj._name), fp)
            reduction.dump(process_obj, fp)
        finally:
            set_spawning_popen(None)
        parent_r, child_w = os.pipe()
        child_r, parent_w = os.pipe()
        cmd = [sys.executable, "-m", self.__module__, "--process-name", str(process_obj.name), "--pipe", str(child_r)]
        self._fds += [child_r, child_w]
        from .fork_exec import fork_exec

        self.pid = fork_exec(cmd, self._fds, env={})
        self.sentinel = parent_r
        with os.fdopen(parent_w, "wb") as f:
            f.write(fp.getbuffer())
        util.Finalize(self, os.close, (parent_r,))
        for fd in (child_r, child_w):
            os.close(fd)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser("loky worker")
    parser.add_argument("--pipe", type=int, required=True)
    parser.add_argument("--process-name", type=str, default=None)
    args = parser.parse_args()
    exitcode = 1
    with os.fdopen(args.pipe, "rb") as from_parent:
        process.current_process()._inheriting = True
        try:
            spawn.prepare(pickle.load(from_parent))
            process_obj = pickle.load(from_parent)
        finally:
            del process.current_process()._inheriting
    exitcode = process_obj._bootstrap()
    sys.exit(exitcode)
