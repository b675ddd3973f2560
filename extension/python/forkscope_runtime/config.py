"""The runtime's configuration: one JSON object in the FORKSCOPE_RUNTIME
environment variable (docs/runtime-protocol.md, "Launch"), parsed here and
nowhere else. Children inherit the variable, so every process of a run reads
the same settings. Without the variable, or with a malformed one, `load()`
returns None and the runtime installs nothing.
"""

from __future__ import annotations

import os
import stat

from .json_c import loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENV = "FORKSCOPE_RUNTIME"


class Config:
    """Typed view of the FORKSCOPE_RUNTIME payload, with the protocol's defaults."""

    __slots__ = ("socket", "secret", "root", "flush_ms", "detail_rate", "wait_ms", "max_processes", "connect_wait_ms", "supervisor_pid")

    def __init__(
        self,
        socket: Any,
        secret: Any,
        root: Any,
        flush_ms: Any = 20,
        detail_rate: Any = 2000,
        wait_ms: Any = 1,
        max_processes: Any = 1000,
        connect_wait_ms: Any = 0,
        supervisor_pid: Any = 0,
    ) -> None:
        self.socket = socket
        self.secret = secret
        self.root = root
        self.flush_ms = flush_ms
        self.detail_rate = detail_rate
        self.wait_ms = wait_ms
        self.max_processes = max_processes
        # Started before the supervisor (the `forkscope` shell launcher): how long the socket may take to appear.
        self.connect_wait_ms = connect_wait_ms
        # ...and the supervisor's pid, so that a supervisor that died before its socket existed ends the wait.
        self.supervisor_pid = supervisor_pid


def _number(value: Any, default: Any, low: Any, high: Any) -> Any:
    """A finite number from the payload clamped to [low, high], else the default."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return default
    return min(max(value, low), high)


def parse(text: Any) -> Any:
    """Parses the payload text; returns a Config, or None when it is missing or malformed."""
    if not text:
        return None
    try:
        raw = loads(text)
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return None
    sock, secret, root = raw.get("socket"), raw.get("secret"), raw.get("root")
    if not isinstance(sock, str) or not sock or not isinstance(secret, str) or not isinstance(root, str):
        return None
    return Config(
        socket=sock,
        secret=secret,
        root=root,
        flush_ms=_number(raw.get("flushMs"), 20, 1, 10000),
        detail_rate=_number(raw.get("detailRate"), 2000, 0, 10**9),
        wait_ms=_number(raw.get("waitMs"), 1, 0, 10**6),
        max_processes=int(_number(raw.get("maxProcesses"), 1000, 1, 10**9)),
        connect_wait_ms=_number(raw.get("connectWaitMs"), 0, 0, 600000),
        supervisor_pid=int(_number(raw.get("supervisorPid"), 0, 0, 2**31 - 1)),
    )


def load() -> Any:
    """Reads FORKSCOPE_RUNTIME from the environment (see `parse`)."""
    return parse(os.environ.get(ENV))


def private_folder(folder: Any, make: bool = False) -> bool:
    """Whether `folder` (the run's, which holds the socket) is a folder of this user's that no one
    else can enter, as the supervisor makes it (0700); with `make`, made so first if missing. The
    launcher names it, and whichever of the runtime and the supervisor comes first makes it."""
    if make:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077
