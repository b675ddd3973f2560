"""Patching a module when it is first imported, not before.

Importing `multiprocessing.managers`, `multiprocessing.pool`,
`concurrent.futures` and `sharedctypes` up front would cost every process
tens of milliseconds even when the script never uses them. A `sys.meta_path`
finder notices the first import of such a module and runs its patch right
after the module's code has executed (modules already imported are patched
at once). The finder only watches names; it never changes what is loaded.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_hooks = {}  # module name -> [callables]


class _PostImportFinder:
    """Wraps the real loader's exec_module for watched module names, then steps aside."""

    def find_spec(self, name: Any, path: Any = None, target: Any = None) -> Any:
        if name not in _hooks:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        orig_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            try:
                orig_exec(module)
            finally:
                try:
                    del loader.exec_module
                except AttributeError:
                    pass
            _run(name, module)

        try:
            loader.exec_module = exec_module
        except Exception:
            return spec
        return spec

    def invalidate_caches(self) -> None:
        pass


_finder = _PostImportFinder()


def _run(name: Any, module: Any) -> None:
    from . import emitter as E

    for hook in _hooks.pop(name, ()):
        try:
            hook(module)
        except Exception as e:  # noqa: BLE001
            E.fail("patch " + name, e)


def when_imported(name: Any, hook: Any) -> None:
    """Runs hook(module) once `name` is imported (now, if it already is)."""
    mod = sys.modules.get(name)
    if mod is not None:
        hook(mod)
        return
    _hooks.setdefault(name, []).append(hook)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def remove() -> None:
    """Stops watching (uninstall)."""
    _hooks.clear()
    try:
        sys.meta_path.remove(_finder)
    except ValueError:
        pass
