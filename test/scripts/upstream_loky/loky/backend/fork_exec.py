"""loky >= 3.5's fork_exec (mirrors upstream loky/backend/fork_exec.py, loky 3.5.x): the worker is
started by `_posixsubprocess.fork_exec` itself (no subprocess.Popen, no os.fork in Python, so no
at-fork hooks), with the command and environment encoded as bytes and only `keep_fds` inherited."""

import os
import subprocess
import sys


def fork_exec(cmd, keep_fds, env=None):
    import _posixsubprocess

    for fd in keep_fds:
        os.set_inheritable(fd, True)
    args = [os.fsencode(a) for a in cmd]
    environ = [os.fsencode("%s=%s" % kv) for kv in {**os.environ, **(env or {})}.items()]
    keep = tuple(sorted(int(fd) for fd in keep_fds))
    err_r, err_w = os.pipe()
    if sys.version_info >= (3, 14):  # allow_vfork was removed in 3.14
        pgid, vfork = [-1], []
    elif sys.version_info >= (3, 11):
        pgid, vfork = [-1], [subprocess._USE_VFORK]
    else:
        pgid, vfork = [], []
    try:
        # args, executable_list, close_fds, pass_fds, cwd, env, p2cread, p2cwrite, c2pread,
        # c2pwrite, errread, errwrite, errpipe_read, errpipe_write, restore_signals, call_setsid,
        # [pgid_to_set], gid, extra_groups, uid, child_umask, preexec_fn, [allow_vfork]
        return _posixsubprocess.fork_exec(args, args[0:1], True, keep, None, environ, -1, -1, -1, -1, -1, -1, err_r, err_w, False, False, *pgid, None, None, None, -1, None, *vfork)
    finally:
        os.close(err_r)
        os.close(err_w)
