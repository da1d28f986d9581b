"""The common JSON line read without a JSON parser: compact, no backslash, the keys of the
file's first object in its order (a "shape"), each value of the kind it had there.

Such a line is checked whole by one Arrow regex (RE2's DFA, about 0.4 µs a line), and its
values are then cut out with numpy: in a line the shape fits, every string is `"[^"]*"`, so the
next quote ends it, and a nested object (one deep, plain values) ends at its first `}` outside
a string. What this gives is what Python's json per line says (core.blocks.landing_jsonl):
strings as written, top-level numbers and literals as written (`-0` aside, whose line is left
to the other readers), a nested object as `json.dumps(..., separators=(",", ":"),
ensure_ascii=False)` prints it: as written, bar a fraction's trailing zeros; a float Python
would print otherwise, an int `-0` or a key twice send the line to the other readers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lakeconsole.core.blocks.landing_jsonl_fast import Columns, PythonLine, _bounds, _spans
from lakeconsole.core.blocks.landing_jsonl_fast import read_block as arrow_read_block

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
# Nested numbers Python prints otherwise than as written less trailing zeros (see
# core.blocks.landing_jsonl_fast): more digits than a double keeps, below 1e-4, -0.
_UNSURE = r"[0-9.]{17,}|(^|[^0-9.])-?0\.0000|-0([^.0-9]|$)"
_ZEROS = (r'("[^"]*")|(\.[0-9]*?[0-9])0+([^0-9]|$)', r"\1\2\3")


@dataclass(frozen=True)
class Shape:
    """The keys of one object line in order, each value's kind, and the regex a line fitting
    them matches."""

    keys: tuple[str, ...]
    kinds: tuple[str, ...]
    pattern: str


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


def read_block(
    block: bytes, state: Columns, python_line: PythonLine
) -> tuple[list[pa.Array], list[tuple[int, bytes]]] | None:
    """As core.blocks.landing_jsonl_fast.read_block says (the block's rows, one text array a
    column, and its lines that are not JSON objects), the lines the file's shape fits cut out
    here and only the others read by that reader."""
    import pyarrow as pa

    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    starts, stops = _bounds(block)
    n = len(starts)
    if state.shape is None:
        state.shape = next(
            (
                s
                for s in (shape_of(block[a:b]) for a, b in zip(starts[:5], stops[:5], strict=True))
                if s
            ),
            None,
        )
    if state.shape is None or not n:
        return arrow_read_block(block, state, python_line)
    lines = _spans(block, starts, stops - starts)
    fit = np.flatnonzero(fits(lines, state.shape))
    columns, sure = cut(block, starts[fit], state.shape, state.columns)
    done = fit[sure]
    if len(done) == n:
        return columns, []
    rest = np.ones(n, dtype=bool)
    rest[done] = False
    others = np.flatnonzero(rest)
    # The other lines on their own, one a line: each line is read alone (its own answer).
    sub = b"\n".join(block[int(starts[i]) : int(stops[i])] for i in others)
    read = arrow_read_block(sub, state, python_line)
    assert read is not None  # lines of a UTF-8 block
    their_columns, bad = read
    keep = pa.array(sure)
    back = pa.array(np.argsort(np.concatenate([done, others]), kind="stable"))
    out = [
        pa.chunked_array([mine.filter(keep), theirs], pa.string()).combine_chunks().take(back)
        for mine, theirs in zip(columns, their_columns, strict=True)
    ]
    return out, [(int(others[i]), raw) for i, raw in bad]


def fits(lines: pa.Array, shape: Shape) -> np.ndarray:
    """Which lines the shape fits (a bool a line)."""
    import pyarrow.compute as pc

    return np.asarray(pc.match_substring_regex(lines, shape.pattern))


def cut(
    block: bytes, starts: np.ndarray, shape: Shape, columns: list[str]
) -> tuple[list[pa.Array], np.ndarray]:
    """Each of `columns` of the lines starting at `starts` (which the shape fits) as Python's
    reader says it, and which lines that is certain for (the others go to the other readers)."""
    import pyarrow as pa

    data = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    closes = np.flatnonzero(data == ord("}"))
    ends_scalar = np.flatnonzero((data == ord(",")) | (data == ord("}")))
    n = len(starts)
    sure = np.ones(n, dtype=bool)
    found: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
    at = starts + 1  # past the line's `{`
    for key, kind in zip(shape.keys, shape.kinds, strict=True):
        at = at + len(_quoted(key).encode()) + 1  # `"key":`
        if kind == "text":
            stop = quotes[np.searchsorted(quotes, at + 1)] + 1
        elif kind == "object":
            stop = _object_ends(quotes, closes, at)
        else:
            stop = ends_scalar[np.searchsorted(ends_scalar, at)]
        if key in columns:
            found[key] = (kind, at, stop)
        at = stop + 1  # past the `,` (or the line's `}`)
    out: list[pa.Array] = []
    for name in columns:
        if name not in found:
            out.append(pa.nulls(n, pa.string()))
            continue
        kind, lo, hi = found[name]
        if kind == "text":
            out.append(_spans(block, lo + 1, hi - lo - 2))
        elif kind == "null":
            out.append(pa.nulls(n, pa.string()))
        else:
            values = _spans(block, lo, hi - lo)
            if kind == "number":
                sure &= ~_matches(values, r"^-0$")  # Python's int: 0
            elif kind == "object":
                values, certain = _nested(values)
                sure &= certain
            out.append(values)
    return out, sure


def _object_ends(quotes: np.ndarray, closes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Just past the `}` closing each flat object that starts at `at`: the first `}` after it
    with an even number of quotes in between (outside a string)."""
    before = np.searchsorted(quotes, at)
    index = np.searchsorted(closes, at)
    todo = np.arange(len(at))
    stop = np.empty(len(at), dtype=np.int64)
    while len(todo):
        close = closes[index[todo]]
        inside = (np.searchsorted(quotes, close) - before[todo]) % 2 == 1
        stop[todo[~inside]] = close[~inside] + 1
        todo = todo[inside]
        index[todo] += 1
    return stop


def _nested(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Compact flat objects as Python prints them, and which that is certain for."""
    import pyarrow as pa
    import pyarrow.compute as pc

    unsure = _matches(values, _UNSURE)
    if unsure.any():
        # Only a number outside the strings counts.
        rows = np.flatnonzero(unsure)
        unquoted = pc.replace_substring_regex(values.take(pa.array(rows)), r'"[^"]*"', '""')
        unsure[rows] = _matches(unquoted, _UNSURE)
    zeros = np.flatnonzero(_matches(values, r"\.[0-9]*0([^0-9]|$)"))
    if len(zeros):
        fixed = pc.replace_substring_regex(values.take(pa.array(zeros)), *_ZEROS)
        mask = np.zeros(len(values), dtype=bool)
        mask[zeros] = True
        values = pc.replace_with_mask(values, pa.array(mask), fixed)
    return values, ~unsure & ~_twice(values)


def _twice(values: pa.Array) -> np.ndarray:
    """Objects holding a key twice (Python keeps the last value, at the first key's place).
    Found on the objects' key lists, which are few distinct ones: each is checked once."""
    import pyarrow.compute as pc

    # In a compact object with no backslash `":` follows each key and nothing else.
    many = np.flatnonzero(np.asarray(pc.count_substring(values, '":')) > 1)
    out = np.zeros(len(values), dtype=bool)
    if not len(many):
        return out
    import pyarrow as pa

    keys = pc.replace_substring_regex(values.take(pa.array(many)), r'(":)(?:"[^"]*"|[^,}]*)', r"\1")
    encoded = pc.dictionary_encode(keys)
    distinct = encoded.dictionary.to_pylist()
    twice = np.array([_has_twice(k) for k in distinct], dtype=bool)
    out[many] = twice[np.asarray(encoded.indices)]
    return out


def _has_twice(keys: str) -> bool:
    names = keys[2:-3].split('":,"')  # `{"a":,"b":}`: a, b
    return len(set(names)) != len(names)


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.match_substring_regex(values, pattern), True))
