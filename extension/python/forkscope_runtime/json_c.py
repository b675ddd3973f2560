"""JSON in and out through the standard library's C accelerator (`_json`), without importing the
`json` package: importing it (its decoder, scanner and encoder modules and their regular
expressions) costs every process 2-3 ms, and every process the runtime starts in reads its
configuration and writes its events as JSON (docs/runtime-protocol.md).

`dumps(value)` is `json.dumps(value, separators=(",", ":"), default=str)`, character for
character; `loads(text)` is `json.loads(text)` for a string. Both are made with the arguments
`json` itself passes to `_json` (the same in 3.9-3.14). Where `_json` is missing, or does not take
them, both are the `json` package's own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Context:
    """What `_json.make_scanner` reads from a `json.JSONDecoder`: `json.loads`'s defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: Any) -> Any:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


_WHITESPACE = " \t\n\r"


def _c_codec() -> Any:
    import _json

    # JSONEncoder.iterencode's call: markers (None: no circular check), default, the string
    # encoder (ensure_ascii), indent, key separator, item separator, sort_keys, skipkeys, allow_nan.
    encode = _json.make_encoder(None, str, _json.encode_basestring_ascii, None, ":", ",", False, False, True)
    scan = _json.make_scanner(_Context())  # pyright: ignore[reportArgumentType] - duck-typed: it reads these attributes

    def dumps(value: Any) -> Any:
        return "".join(encode(value, 0))

    def loads(text: Any) -> Any:
        s = text.strip(_WHITESPACE)
        try:
            value, end = scan(s, 0)
        except StopIteration:
            raise ValueError("malformed JSON") from None
        if end != len(s):
            raise ValueError("extra data after the JSON value")
        return value

    # A `_json` that takes the arguments but reads them otherwise would write other text: checked once.
    if dumps([1, 0.5, "\u00e9", None, True, {"a": float("nan")}]) != '[1,0.5,"\\u00e9",null,true,{"a":NaN}]':
        raise ValueError("_json encodes otherwise")
    if loads(' {"a": [1, 2.5, "x", null, false]} ') != {"a": [1, 2.5, "x", None, False]}:
        raise ValueError("_json decodes otherwise")
    return dumps, loads


def _package_codec() -> Any:
    import json

    def dumps(value: Any) -> Any:
        return json.dumps(value, separators=(",", ":"), default=str)

    return dumps, json.loads


try:
    dumps, loads = _c_codec()
except Exception:  # no _json (another implementation), or one that differs: the package's own
    dumps, loads = _package_codec()
