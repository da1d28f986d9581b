"""The shape of a file's common JSON line: compact, no backslash, the keys of the file's first
object in its order, each value of the kind it had there (a string, a number, true or false,
null, or a flat object of plain values). A line fits the shape when it is such a line: `fits`
says so with one regex (the definition); core.blocks.landing_jsonl_compact checks the same
with numpy, faster.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

_TEXT = r'"[^"\\\x00-\x1f]*"'
_NUMBER = r"-?(?:0|[1-9][0-9]{0,99})(?:\.[0-9]{1,99})?"
_PLAIN = f"(?:{_TEXT}|{_NUMBER}|true|false|null)"
_MEMBER = f"{_TEXT}:{_PLAIN}"
_OBJECT = rf"\{{(?:{_MEMBER}(?:,{_MEMBER})*)?\}}"
# A top-level number keeps its text, an exponent too (Python's reader keeps the text).
_TOP_NUMBER = _NUMBER + r"(?:[eE][+-]?[0-9]{1,9})?"
_KINDS = {"text": _TEXT, "number": _TOP_NUMBER, "literal": "(?:true|false)", "null": "null"}
_KINDS["object"] = _OBJECT
# A value of each kind alone, as the shape's regex has it.
VALUE = {kind: f"^{pattern}$" for kind, pattern in _KINDS.items()}


@dataclass(frozen=True)
class Shape:
    """The keys of one object line in order, each value's kind, and the regex a line fitting
    them matches."""

    keys: tuple[str, ...]
    kinds: tuple[str, ...]
    pattern: str

    @property
    def separators(self) -> list[str]:
        """What a fitting line has around its values, in order: before the first, between
        each two (a string's quotes included), after the last: `{"a":"`, `","b":`, `}`."""
        out, after = [], ""
        for i, (key, kind) in enumerate(zip(self.keys, self.kinds, strict=True)):
            quote = '"' if kind == "text" else ""
            out.append(after + ("{" if i == 0 else ",") + _quoted(key) + ":" + quote)
            after = quote
        return [*out, after + "}"]


def shape_of(line: bytes) -> Shape | None:
    """The shape of a compact object line with plain keys; None when it has none."""
    if b"\\" in line:
        return None
    try:
        pairs = json.loads(line, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, _Pairs) or not pairs:
        return None
    keys = tuple(k for k, _ in pairs)
    found = [_kind(v) for _, v in pairs]
    kinds = tuple(k for k in found if k is not None)
    if len(set(keys)) != len(keys) or len(kinds) != len(keys):
        return None
    if any(not k or '"' in k or any(ord(c) < 32 for c in k) for k in keys):
        return None
    body = ",".join(
        f"{re.escape(_quoted(k))}:{_KINDS[t]}" for k, t in zip(keys, kinds, strict=True)
    )
    return Shape(keys, kinds, "^\\{" + body + "\\}$")


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in order (a JSON array stays a plain list)."""


def _quoted(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "literal"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, _Pairs) and all(not isinstance(v, list) for _, v in value):
        return "object"
    return None


def fits(lines: pa.Array, shape: Shape) -> np.ndarray:
    """Which lines the shape fits (a bool a line)."""
    import pyarrow.compute as pc

    return np.asarray(pc.match_substring_regex(lines, shape.pattern))
