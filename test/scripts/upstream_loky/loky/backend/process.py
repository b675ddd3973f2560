"""LokyProcess (mirrors upstream loky/backend/process.py): a BaseProcess with start method "loky";
and, as upstream's loky/backend/context.py does, a "loky" context registered with multiprocessing
(a child's `_bootstrap` forces its process's start method)."""

from multiprocessing import context as mp_context
from multiprocessing.process import BaseProcess


class LokyProcess(BaseProcess):
    _start_method = "loky"

    @staticmethod
    def _Popen(process_obj):
        from .popen_loky_posix import Popen

        return Popen(process_obj)


class LokyContext(mp_context.BaseContext):
    _name = "loky"
    Process = LokyProcess


mp_context._concrete_contexts["loky"] = LokyContext()
