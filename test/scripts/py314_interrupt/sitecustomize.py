"""Python 3.14's Process.interrupt() on an older Python, for tests (put this folder on PYTHONPATH).

3.14 added `BaseProcess.interrupt()` (``self._check_closed(); self._popen.interrupt()``) and
`popen_fork.Popen.interrupt()` (``self._send_signal(signal.SIGINT)``), which the forkserver's and
spawn's Popen inherit. This module adds the same two methods at interpreter start, before
Forkscope's runtime installs itself, so a real run on 3.9-3.13 goes through the runtime's
interrupt() path as it would on 3.14."""
import signal

import multiprocessing.popen_fork as _popen_fork
import multiprocessing.process as _process

if not hasattr(_process.BaseProcess, "interrupt"):

    def interrupt(self):
        """Terminate process; sends SIGINT signal (as in Python 3.14)."""
        self._check_closed()
        self._popen.interrupt()

    def _popen_interrupt(self):
        self._send_signal(signal.SIGINT)

    _process.BaseProcess.interrupt = interrupt
    _popen_fork.Popen.interrupt = _popen_interrupt
