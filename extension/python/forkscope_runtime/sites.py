"""Where user code made something, and keeping the runtime out of tracebacks.

`user_site()` walks the caller's frames past the runtime and multiprocessing
(and concurrent.futures) to the user's line, reads it with linecache and takes
the assignment target as the object's name (`tasks = mp.Queue()` -> "tasks",
`with Manager() as m:` -> "m"). It runs at creation time only. It also says
whether the object was made *inside* the standard library (a Queue's own
locks, a Pool's queues), which the runtime does not report as user objects.

`hide(exc)` drops a wrapper's own frame from an exception passing through it
(Python 3.11+ re-raises the traceback stored on the exception); on 3.9/3.10
the frames of registered wrappers are cut out when a traceback is printed
(`sys.excepthook`, `traceback.walk_tb`), so users see plain Python's frames.
"""

from __future__ import annotations

import collections
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional
    from typing import NamedTuple

    class Site(NamedTuple):
        """Where user code made something: its file and line, the name it was given there, and
        whether that line is inside multiprocessing or concurrent.futures (`internal`: not a user
        object)."""

        file: Optional[str]
        line: Optional[int]
        name: Optional[str]
        internal: bool

else:  # the same tuple without importing typing (it costs every process milliseconds)
    Site = collections.namedtuple("Site", "file line name internal")

NO_SITE = Site(None, None, None, True)

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LAUNCHER = os.path.join(os.path.dirname(_HERE.rstrip(os.sep)), "forkscope_launch.py")
_STDLIB_DIRS = ()
_CONTEXT_FILES = ()
_LIB = None
_THIRD_PARTY = ()

# The assignment on a creating line; compiled on first use (0.5 ms), as most processes create nothing.
_ASSIGN_PATTERN = r"^\s*(?:async\s+)?(?:with\b.*?\bas\s+(?P<with>[A-Za-z_][\w.]*)|(?P<lhs>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*(?::[^=]+)?=(?!=))"
_assign_re = []

NEW_RERAISE = sys.version_info >= (3, 11)
HIDDEN = set()  # code objects of wrappers that must not show in tracebacks


def init() -> None:
    """Learns where multiprocessing and concurrent.futures live, without importing them."""
    global _STDLIB_DIRS, _CONTEXT_FILES, _LIB, _THIRD_PARTY
    lib = os.path.dirname(os.path.abspath(os.__file__))
    _LIB = lib + os.sep
    _THIRD_PARTY = (_LIB + "site-packages" + os.sep, _LIB + "dist-packages" + os.sep)
    mp = os.path.join(lib, "multiprocessing") + os.sep
    _STDLIB_DIRS = (mp, os.path.join(lib, "concurrent", "futures") + os.sep)
    _CONTEXT_FILES = (mp + "context.py",)


def _is_runtime(filename: Any) -> Any:
    return filename.startswith(_HERE) or filename == _LAUNCHER


def user_site(skip: int = 2) -> Site:
    """The Site (file, line, name, internal) of the first frame outside the runtime and context.py.

    `internal` is True when that frame is inside multiprocessing or concurrent.futures."""
    try:
        f = sys._getframe(skip)
    except ValueError:
        return NO_SITE
    while f is not None:
        fn = f.f_code.co_filename
        if _is_runtime(fn) or fn in _CONTEXT_FILES:
            f = f.f_back
            continue
        break
    if f is None:
        return NO_SITE
    fn = f.f_code.co_filename
    for d in _STDLIB_DIRS:
        if fn.startswith(d):
            return Site(fn, f.f_lineno, None, True)
    line = f.f_lineno
    return Site(fn, line, _name_of_call(f, fn, line), False)


def wait_site(frame: Any) -> Any:
    """(file, line) of the innermost user frame of a blocked stack (the join()/get() call), else (None, None).

    Called by the flusher thread for a wait that has lasted (waits._check_wait_site), never on a
    hot path: it skips the runtime, the standard library and frozen modules."""
    f = frame
    depth = 0
    while f is not None and depth < 64:
        fn = f.f_code.co_filename
        if not (_is_runtime(fn) or fn.startswith("<") or (_LIB is not None and fn.startswith(_LIB) and not fn.startswith(_THIRD_PARTY))):
            return fn, f.f_lineno
        f = f.f_back
        depth += 1
    return None, None


def _name_at(filename: Any, lineno: Any, module_globals: Any = None) -> Any:
    """The assignment target (or `with ... as` name) on a source line, else None."""
    try:
        import linecache  # on first use: most processes never create anything

        text = linecache.getline(filename, lineno, module_globals)
    except Exception:
        return None
    if not text:
        return None
    if not _assign_re:
        import re  # on first use too: a script that creates nothing never pays for it (2-4 ms)

        _assign_re.append(re.compile(_ASSIGN_PATTERN))
    m = _assign_re[0].match(text)
    if not m:
        return None
    if m.group("with"):
        return m.group("with")
    lhs = m.group("lhs")
    return lhs.split(",")[0].strip() if lhs else None


# ---- names from the assignment that holds the call ---------------------------------------
#
# The statement that holds the creating call is parsed (once per file, on the first creation in it)
# and the call found: on 3.11+ by the source position of the instruction the frame is executing
# (co_positions at f_lasti, matched on the call's end), else by its rank among the calls of the
# statement (the frame's instruction among the statement's call instructions, in evaluation order).
# The call's place in the assignment gives its name: `a, b = Queue(), Queue()` -> "a", "b";
# `first, *rest = ...` -> "first", "rest[0]", ...; `r, w = Pipe()` -> "r/w"; `x = y = Queue()` ->
# "x"; `self.q = Queue()` -> "self.q"; `qs["in"] = Queue()` -> 'qs["in"]'; `qs = {"in": Queue()}`
# -> 'qs["in"]'; `qs = [Queue(), Queue()]` -> "qs[0]", "qs[1]"; `with Pool() as p` -> "p". The
# answer is cached per (code object, instruction offset). Any failure falls back to the first
# assignment target on the line (`_name_at`).

_NAME_CACHE = {}  # (code, lasti) -> name
_FILE_INDEX = {}  # filename -> _Index or None
_CALL_OPS = frozenset(("CALL_FUNCTION", "CALL_FUNCTION_KW", "CALL_FUNCTION_EX", "CALL_METHOD", "CALL", "CALL_KW"))
_HAS_POSITIONS = sys.version_info >= (3, 11)


def _name_of_call(f: Any, filename: Any, lineno: Any) -> Any:
    code = f.f_code
    key = (code, f.f_lasti)
    try:
        return _NAME_CACHE[key]
    except KeyError:
        pass
    except TypeError:
        return _name_at(filename, lineno, f.f_globals)
    try:
        name = _resolve(f, filename, lineno)
    except Exception:
        name = _NO
    if name is _NO:
        name = _name_at(filename, lineno, f.f_globals)
    if len(_NAME_CACHE) < 4096:
        _NAME_CACHE[key] = name
    return name


_NO = object()


class _Index(object):
    """A parsed file: its statements of interest and the names of the calls in them."""

    __slots__ = ("text", "lines", "stmts", "by_end", "names")

    def __init__(self, text: Any, tree: Any) -> None:
        import ast

        self.text = text
        self.lines = None  # the source's lines, split once, on the first src()
        self.stmts = []  # (first line, last header line, stmt)
        self.by_end = {}  # (end_lineno, end_col_offset) of a Call -> Call
        self.names = {}  # id(Call) -> name
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                end = node.end_lineno
                if isinstance(node, (ast.With, ast.AsyncWith)):
                    ends: Any = [it.context_expr.end_lineno for it in node.items]
                    ends += [it.optional_vars.end_lineno for it in node.items if it.optional_vars is not None]
                    end = max(ends)
                elif isinstance(node, (ast.If, ast.While)):
                    end = node.test.end_lineno
                elif not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)):
                    continue
                self.stmts.append((node.lineno, end, node))
                self._name_stmt(node)
            elif isinstance(node, ast.Call):
                self.by_end[(node.end_lineno, node.end_col_offset)] = node
        self.stmts.sort(key=lambda s: (s[0], s[1]))

    def src(self, node: Any) -> Any:
        """A node's source text, its whitespace collapsed. As ast.get_source_segment, which splits the
        whole file into lines at every call: named targets in a file of a thousand lines took 0.5 s."""
        try:
            first, last = node.lineno - 1, node.end_lineno - 1
            col, end_col = node.col_offset, node.end_col_offset
        except AttributeError:
            return None
        if last is None or end_col is None:
            return None
        lines = self.lines
        if lines is None:
            # (Line ends as Python's tokenizer counts them: \r\n, \r or \n, never a form feed.)
            lines = self.lines = self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if not 0 <= first <= last < len(lines):
            return None
        # (Column offsets count UTF-8 bytes.)
        if first == last:
            s = lines[first].encode("utf-8")[col:end_col].decode("utf-8", "replace")
        else:
            head = lines[first].encode("utf-8")[col:].decode("utf-8", "replace")
            tail = lines[last].encode("utf-8")[:end_col].decode("utf-8", "replace")
            s = "\n".join([head] + lines[first + 1 : last] + [tail])
        return " ".join(s.split()) or None

    def _name_stmt(self, node: Any) -> None:
        import ast

        if isinstance(node, ast.Assign):
            self._assign(node.targets[0], node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._assign(node.target, node.value)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for it in node.items:
                if it.optional_vars is not None:
                    self._assign(it.optional_vars, it.context_expr)
        expr = node.test if isinstance(node, (ast.If, ast.While)) else getattr(node, "value", None)
        for sub in ast.walk(expr) if isinstance(expr, ast.AST) else ():
            if isinstance(sub, ast.NamedExpr):
                self._assign(sub.target, sub.value)

    def _target_name(self, t: Any) -> Any:
        import ast

        if isinstance(t, ast.Name):
            return t.id
        if isinstance(t, (ast.Tuple, ast.List)):
            parts = [self._target_name(e.value if isinstance(e, ast.Starred) else e) for e in t.elts]
            return "/".join(p for p in parts if p) or None
        if isinstance(t, (ast.Attribute, ast.Subscript)):
            return self.src(t)
        return None

    def _leaf(self, value: Any, name: Any) -> None:
        import ast

        if name is None:
            return
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call) and id(sub) not in self.names:
                self.names[id(sub)] = name

    def _assign(self, target: Any, value: Any) -> None:
        import ast

        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
            if any(isinstance(v, ast.Starred) for v in value.elts):
                self._leaf(value, self._target_name(target))
                return
            ts = target.elts
            star = next((i for i, t in enumerate(ts) if isinstance(t, ast.Starred)), None)
            n = len(value.elts)
            for i, v in enumerate(value.elts):
                if star is None:
                    if i < len(ts):
                        self._assign(ts[i], v)
                elif i < star:
                    self._assign(ts[i], v)
                elif i >= n - (len(ts) - star - 1):
                    self._assign(ts[len(ts) - (n - i)], v)
                else:
                    base = self._target_name(ts[star].value)  # pyright: ignore[reportAttributeAccessIssue]
                    self._leaf(v, "%s[%d]" % (base, i - star) if base else None)
            return
        if isinstance(value, (ast.Tuple, ast.List)) and not isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            base = self._target_name(target)
            if base and not any(isinstance(v, ast.Starred) for v in value.elts):
                for i, v in enumerate(value.elts):
                    self._leaf(v, "%s[%d]" % (base, i))
                return
        if isinstance(value, ast.Dict) and not isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            base = self._target_name(target)
            if base:
                for k, v in zip(value.keys, value.values):
                    if k is not None:
                        ks = self.src(k)
                        self._leaf(v, "%s[%s]" % (base, ks) if ks else base)
                self._leaf(value, base)
                return
        self._leaf(value, self._target_name(target))

    def stmts_at(self, line: Any) -> Any:
        """The statements whose header spans `line` (the innermost first)."""
        found = [s for s in self.stmts if s[0] <= line <= s[1]]
        if not found:
            return []
        inner = min(s[1] - s[0] for s in found)
        return [s for s in found if s[1] - s[0] == inner]


def _index(filename: Any, module_globals: Any) -> Any:
    try:
        return _FILE_INDEX[filename]
    except KeyError:
        pass
    idx = None
    try:
        import ast
        import linecache

        lines = linecache.getlines(filename, module_globals)
        if lines and sum(len(x) for x in lines) <= 2000000:  # a huge generated file: the first target on the line
            text = "".join(lines)
            idx = _Index(text, ast.parse(text, filename))
    except Exception:
        idx = None
    if len(_FILE_INDEX) < 256:
        _FILE_INDEX[filename] = idx
    return idx


def _resolve(f: Any, filename: Any, lineno: Any) -> Any:
    idx = _index(filename, f.f_globals)
    if idx is None:
        return _NO
    code = f.f_code
    lasti = f.f_lasti
    if _HAS_POSITIONS and lasti >= 0:
        try:
            pos = None
            for i, p in enumerate(code.co_positions()):
                if i == lasti // 2:
                    pos = p
                    break
            if pos is not None and pos[1] is not None and pos[3] is not None:
                call = idx.by_end.get((pos[1], pos[3]))
                if call is not None:
                    return idx.names.get(id(call))
        except Exception:
            pass
    stmts = idx.stmts_at(lineno)
    if not stmts:
        return _NO
    calls = []
    for s in stmts:
        _calls_in_order(s[2], calls)
    if len(calls) == 1:
        return idx.names.get(id(calls[0]))
    lo = min(s[0] for s in stmts)
    hi = max(s[1] for s in stmts)
    import dis

    offsets = []
    line = None
    for ins in dis.get_instructions(code):
        if ins.starts_line:
            line = ins.starts_line if not isinstance(ins.starts_line, bool) else getattr(ins, "line_number", None)
        elif getattr(ins, "line_number", None) is not None:
            line = ins.line_number  # pyright: ignore[reportAttributeAccessIssue]
        if ins.opname in _CALL_OPS and line is not None and lo <= line <= hi:
            offsets.append(ins.offset)
    # The frame's instruction is the call itself, or (3.12+) the last of its inline cache entries.
    k = len([o for o in offsets if o <= lasti]) - 1
    if k < 0 or lasti - offsets[k] > 32:
        return _NO
    if k >= len(calls) or len(offsets) < len(calls):
        return _NO
    return idx.names.get(id(calls[k]))


def _calls_in_order(node: Any, out: Any) -> None:
    """The Call nodes of a statement in the order the interpreter makes the calls (nested code skipped)."""
    import ast

    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        _calls_in_order(node.generators[0].iter, out)
        return
    if isinstance(node, ast.Assign):
        _calls_in_order(node.value, out)
        for t in node.targets:
            _calls_in_order(t, out)
    elif isinstance(node, ast.AnnAssign):
        if node.value is not None:
            _calls_in_order(node.value, out)
        _calls_in_order(node.target, out)
    elif isinstance(node, ast.NamedExpr):
        _calls_in_order(node.value, out)
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if k is not None:
                _calls_in_order(k, out)
            _calls_in_order(v, out)
    elif isinstance(node, ast.Call):
        _calls_in_order(node.func, out)
        for a in node.args:
            _calls_in_order(a, out)
        for kw in node.keywords:
            _calls_in_order(kw.value, out)
        out.append(node)
    elif isinstance(node, (ast.If, ast.While)):
        _calls_in_order(node.test, out)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for it in node.items:
            _calls_in_order(it.context_expr, out)
            if it.optional_vars is not None:
                _calls_in_order(it.optional_vars, out)
    else:
        for child in ast.iter_child_nodes(node):
            _calls_in_order(child, out)


def code_site(func: Any) -> Any:
    """(target "module.qualname", file, line) of a callable, as far as it can be told."""
    f = func
    for _ in range(3):
        inner = getattr(f, "func", None)  # functools.partial
        if inner is None:
            break
        f = inner
    f = getattr(f, "__func__", f)
    f = getattr(f, "__wrapped__", f)
    mod = getattr(f, "__module__", None)
    qual = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if qual is None:
        qual = type(f).__qualname__
        mod = type(f).__module__
    code = getattr(f, "__code__", None)
    target = "%s.%s" % (mod, qual) if mod else str(qual)
    if code is None:
        return target, None, None
    return target, code.co_filename, code.co_firstlineno


# ---- tracebacks ---------------------------------------------------------------------------


def hidden(func: Any) -> Any:
    """Registers a wrapper whose frame must not appear in user tracebacks; returns it."""
    HIDDEN.add(func.__code__)
    return func


def hide(exc: Any) -> None:
    """Called in a wrapper's `except`: drop the wrapper's frame before a bare `raise` (3.11+)."""
    if NEW_RERAISE:
        try:
            tb = exc.__traceback__
            if tb is not None and tb.tb_frame.f_code in HIDDEN:
                exc.__traceback__ = tb.tb_next
        except Exception:
            pass


def splice(tb: Any) -> Any:
    """Cuts frames of hidden wrappers (and leading launcher/runpy frames) out of a traceback chain."""
    while tb is not None and tb.tb_frame.f_code in HIDDEN:
        tb = tb.tb_next
    head = tb
    prev = head
    while prev is not None:
        nxt = prev.tb_next
        while nxt is not None and nxt.tb_frame.f_code in HIDDEN:
            nxt = nxt.tb_next
        if prev.tb_next is not nxt:
            try:
                prev.tb_next = nxt
            except Exception:
                pass
        prev = nxt
    return head


def _splice_exc(exc: Any, seen: Any) -> None:
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            tb = exc.__traceback__
            new = splice(tb)
            if new is not tb:
                exc.__traceback__ = new
            _splice_exc(exc.__cause__, seen)
        except Exception:
            return
        exc = exc.__context__
