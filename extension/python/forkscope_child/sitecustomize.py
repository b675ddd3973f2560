"""Forkscope in a Python child started outside multiprocessing (subprocess,
os.exec*, os.posix_spawn): the parent's runtime put this directory at the
front of PYTHONPATH for that one child, with FORKSCOPE_CHILD saying
"how|parent pid|this directory|-" (PYTHONPATH was unset) or "...|=VALUE".
Here the environment and sys.path are put back as the child would have had
them, the runtime is installed, and the sitecustomize this file shadows (if
any) runs, so the script sees what it sees without Forkscope."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _forkscope_child() -> None:
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    mark = os.environ.get("FORKSCOPE_CHILD")
    how: Any = None
    parent: Any = None
    if mark:
        parts = mark.split("|", 3)
        if len(parts) == 4 and parts[2] == here:
            how, parent = parts[0], parts[1]
            del os.environ["FORKSCOPE_CHILD"]
            if parts[3] == "-":
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = parts[3][1:]
    sys.path[:] = [p for p in sys.path if p != here]
    if how is not None and os.environ.get("FORKSCOPE_RUNTIME"):
        root = os.path.dirname(here)
        sys.path.insert(0, root)
        try:
            import forkscope_runtime.bootstrap as b

            b.install_child(how, int(parent) if parent.isdigit() else None)
        except Exception:
            pass
        finally:
            try:
                sys.path.remove(root)
            except ValueError:
                pass
    # The sitecustomize this one shadows, if there is one.
    try:
        import importlib.machinery
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
        if spec is not None and spec.loader is not None and os.path.dirname(os.path.abspath(spec.origin or "")) != here:
            module = importlib.util.module_from_spec(spec)
            sys.modules["sitecustomize"] = module
            spec.loader.exec_module(module)  # pyright: ignore[reportAttributeAccessIssue]
    except Exception as err:  # what site.py itself says of a failing sitecustomize, and goes on
        sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (err.__class__.__name__, err))


_forkscope_child()
del _forkscope_child
