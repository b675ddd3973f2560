"""Forkscope's start-method override (the `startMethod` of a `forkscope` launch
configuration): put on PYTHONPATH with FORKSCOPE_START_METHOD set, it changes
multiprocessing's *default* start method before the script runs. A script that
calls set_start_method() itself still gets the method it asks for. Then it runs
the sitecustomize it shadows, if there is one, so nothing else changes."""

import os
import sys


def _apply_start_method():
    """Makes FORKSCOPE_START_METHOD the default start method (not a forced one)."""
    method = os.environ.get("FORKSCOPE_START_METHOD")
    if not method:
        return
    import multiprocessing.context as context

    concrete = getattr(context, "_concrete_contexts", {}).get(method)
    if concrete is None:
        sys.stderr.write("forkscope: start method %r is not available on this platform; using the default\n" % method)
        return
    context._default_context._default_context = concrete


def _chain():
    """Runs the next sitecustomize on sys.path (the one this file shadows)."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or os.path.abspath(spec.origin or "") == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_apply_start_method()
try:
    _chain()
except Exception:  # a broken shadowed sitecustomize must not stop the run
    pass
