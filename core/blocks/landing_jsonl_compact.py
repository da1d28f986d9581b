"""The common JSON line read without a JSON parser: compact, no backslash, the keys of the
file's first object in its order (a "shape"), each value of the kind it had there.

Such a line is checked whole by one Arrow regex (RE2's DFA, about 0.6 µs a line), and its
values are then found with numpy by counting quotes: in a line the shape fits, every string is
`"[^"]*"`, so the k-th quote of the line is always the same part of it (the same key's or
value's), up to a nested object (one deep, plain values), whose own quotes vary. Values are
copied out of the block by one Arrow take a column. What this gives is what Python's json per
line says (core.blocks.landing_jsonl): strings as written, top-level numbers and literals as
written (`-0` aside, whose line is left to the other readers), a nested object as
`json.dumps(..., separators=(",", ":"), ensure_ascii=False)` prints it
(core.blocks.landing_jsonl_nested). The few other lines of a block are read by Python's json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lakeconsole.core.blocks.landing_jsonl_fast import Columns, PythonLine, _bounds, pieces
from lakeconsole.core.blocks.landing_jsonl_fast import read_block as arrow_read_block
from lakeconsole.core.blocks.landing_jsonl_nested import nested

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
# Up to this many lines of a block that the shape does not fit are read by Python's json.
_FEW = 1000


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
    import pyarrow.compute as pc

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
    # The lines and what lies between them, as one array over the block (no copy).
    fit = fits(pieces(block, np.stack([starts, stops], axis=1)), state.shape)[::2]
    columns, sure = cut(block, starts, stops, fit, state.shape, state.columns)
    if sure.all():
        return columns, []
    others = np.flatnonzero(~sure)
    their_columns, bad = _others(block, starts[others], stops[others], state, python_line)
    theirs = pa.array(~sure)
    out = [
        pc.replace_with_mask(mine, theirs, their)
        for mine, their in zip(columns, their_columns, strict=True)
    ]
    return out, [(int(others[i]), raw) for i, raw in bad]


def _others(
    block: bytes, starts: np.ndarray, stops: np.ndarray, state: Columns, python_line: PythonLine
) -> tuple[list[pa.Array], list[tuple[int, bytes]]]:
    """The lines block[starts:stops] the shape does not fit, each read alone (its own answer):
    by Python's json when they are few (pyarrow.json's reader costs ~8 ms a block however few
    lines it reads, Python ~5 µs a line), else by that reader."""
    import pyarrow as pa

    if len(starts) > _FEW:
        sub = b"\n".join(block[int(a) : int(b)] for a, b in zip(starts, stops, strict=True))
        read = arrow_read_block(sub, state, python_line)
        assert read is not None  # lines of a UTF-8 block
        return read
    values: list[list[str | None]] = [[] for _ in state.columns]
    bad: list[tuple[int, bytes]] = []
    for index, (a, b) in enumerate(zip(starts.tolist(), stops.tolist(), strict=True)):
        raw = block[a:b]
        got = python_line(raw)
        if got is None:
            bad.append((index, raw))
        for i, value in enumerate(values):
            value.append(None if got is None else got[i])
    return [pa.array(v, pa.string()) for v in values], bad


def fits(lines: pa.Array, shape: Shape) -> np.ndarray:
    """Which lines the shape fits (a bool a line)."""
    import pyarrow.compute as pc

    return np.asarray(pc.match_substring_regex(lines, shape.pattern))


def cut(
    block: bytes,
    starts: np.ndarray,
    stops: np.ndarray,
    fit: np.ndarray,
    shape: Shape,
    columns: list[str],
) -> tuple[list[pa.Array], np.ndarray]:
    """Each of `columns` of the block's lines (block[starts:stops]) as Python's reader says it
    where the shape fits them (`fit`), and which lines that is certain for: the others (and
    lines it does not fit, whose values here are empty) go to the other readers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(starts)
    quotes = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord('"'))
    rows = np.flatnonzero(fit)
    spans = _values(block, quotes, starts[rows], stops[rows], shape)
    wanted = [k for k in shape.keys if k in columns and shape.kinds[shape.keys.index(k)] != "null"]
    # Every wanted value's bounds in line order; a line the shape does not fit gets empty values.
    bounds = np.repeat(starts[:, None], 2 * len(wanted), axis=1)
    for j, key in enumerate(wanted):
        bounds[rows, 2 * j], bounds[rows, 2 * j + 1] = spans[key]
    every = pieces(block, bounds)
    sure = fit.copy()
    out: list[pa.Array] = []
    for name in columns:
        if name not in wanted:
            out.append(pa.nulls(n, pa.string()))
            continue
        j = wanted.index(name)
        values = every.take(pa.array(np.arange(n, dtype=np.int64) * (2 * len(wanted)) + 2 * j))
        kind = shape.kinds[shape.keys.index(name)]
        if kind == "number":
            sure &= ~np.asarray(pc.equal(values, "-0"))  # Python's int: 0
        elif kind == "object":
            lo, hi = bounds[:, 2 * j], bounds[:, 2 * j + 1]
            values, certain = nested(values, block, quotes, lo, hi)
            sure &= certain
        out.append(values)
    return out, sure


def _values(
    block: bytes, quotes: np.ndarray, starts: np.ndarray, stops: np.ndarray, shape: Shape
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Where each key's value is in the lines block[starts:stops] (which the shape fits), a
    string's without its quotes. In such a line a string holds no quote, so the k-th quote after
    a known one is always the same part of the line: a quote's place is looked up, not searched
    for; only past a nested object (whose strings vary) is the count taken again."""
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    anchor, k = np.searchsorted(quotes, starts), 0  # the line's first quote, its first key's
    at = starts + 1  # past the line's `{`: where the first key starts
    last = len(shape.keys) - 1
    for j, (key, kind) in enumerate(zip(shape.keys, shape.kinds, strict=True)):
        value = at + len(_quoted(key).encode()) + 1  # past `"key":`
        k += 2
        if kind == "text":
            close = quotes[anchor + k + 1]
            found[key] = (value + 1, close)
            k += 2
            stop = close + 1
        elif kind == "object" and j < last:
            closes = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("}"))
            stop = _object_ends(quotes, closes, value)
            found[key] = (value, stop)
            anchor, k = np.searchsorted(quotes, stop), 0
        else:  # a number, a literal, null, or the last key's object: up to the next key or `}`
            stop = stops - 1 if j == last else quotes[anchor + k] - 1
            found[key] = (value, stop)
        at = stop + 1  # past the `,`
    return found


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
