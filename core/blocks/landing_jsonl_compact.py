"""The common JSON line read without a JSON parser: a line that fits the file's shape
(core.blocks.landing_jsonl_shape) is checked and cut with numpy, by counting quotes.

In a line the shape fits, every string is `"[^"]*"`, so the k-th quote of the line is always the
same part of it (the same key's or value's), up to a nested object (one deep, plain values),
whose own quotes vary: where each value would be is looked up, not searched for. The line fits
when what lies around its values is exactly the shape's (`{"a":"`, `","b":`, ... `}`), it has
no backslash nor control character, and its numbers, literals and objects are such values (a
regex on them alone, a few bytes a line). Values are copied out of the block by one Arrow take
a column. What this gives is what Python's json per line says (core.blocks.landing_jsonl):
strings as written, top-level numbers and literals as written (`-0` aside, whose line is left
to the other readers), a nested object as `json.dumps(..., separators=(",", ":"),
ensure_ascii=False)` prints it (core.blocks.landing_jsonl_nested). The few other lines of a
block are read by Python's json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lakeconsole.core.blocks.landing_jsonl_fast import Columns, PythonLine, _bounds, pieces, put
from lakeconsole.core.blocks.landing_jsonl_fast import read_block as arrow_read_block
from lakeconsole.core.blocks.landing_jsonl_nested import nested
from lakeconsole.core.blocks.landing_jsonl_shape import VALUE, Shape, shape_of

if TYPE_CHECKING:
    import pyarrow as pa

# Up to this many lines of a block that the shape does not fit are read by Python's json.
_FEW = 1000


def read_block(
    block: bytes, state: Columns, python_line: PythonLine
) -> tuple[list[pa.Array], list[tuple[int, bytes]]] | None:
    """As core.blocks.landing_jsonl_fast.read_block says (the block's rows, one text array a
    column, and its lines that are not JSON objects), the lines the file's shape fits cut out
    here and only the others read by that reader."""
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
    columns, sure = cut(block, starts, stops, state.shape, state.columns)
    if sure.all():
        return columns, []
    others = np.flatnonzero(~sure)
    their_columns, bad = _others(block, starts[others], stops[others], state, python_line)
    out = [put(mine, others, their) for mine, their in zip(columns, their_columns, strict=True)]
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


def cut(
    block: bytes, starts: np.ndarray, stops: np.ndarray, shape: Shape, columns: list[str]
) -> tuple[list[pa.Array], np.ndarray]:
    """Each of `columns` of the block's lines (block[starts:stops]) as Python's reader says it
    where the shape fits them, and which lines that is certain for: the others (and lines it
    does not fit, whose values here are empty) go to the other readers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(starts)
    data = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    bounds, sure = _parts(block, data, quotes, starts, stops, shape)
    width = bounds.shape[1]
    every = pieces(block, bounds)
    out: list[pa.Array] = []
    for name in columns:
        if name not in shape.keys or shape.kinds[shape.keys.index(name)] == "null":
            out.append(pa.nulls(n, pa.string()))
            continue
        j = shape.keys.index(name)
        values = every.take(pa.array(np.arange(n, dtype=np.int64) * width + 2 * j + 1))
        kind = shape.kinds[j]
        if kind == "number":
            sure &= ~np.asarray(pc.equal(values, "-0"))  # Python's int: 0
        elif kind == "object":
            lo, hi = bounds[:, 2 * j + 1], bounds[:, 2 * j + 2]
            values, certain = nested(values, block, quotes, lo, hi)
            sure &= certain
        out.append(values)
    return out, sure


def _parts(
    block: bytes,
    data: np.ndarray,
    quotes: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    shape: Shape,
) -> tuple[np.ndarray, np.ndarray]:
    """Where each line's parts would be if the shape fits it, and whether it does. Row i of
    the bounds is line i cut into the shape's separators and values in turn (separator 0,
    value 0, separator 1, ..., the last separator; core.blocks.landing_jsonl_fast.pieces); a
    line that does not fit is all at its start (its values empty)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n, keys = len(starts), len(shape.keys)
    bounds = np.empty((n, 2 * keys + 2), dtype=np.int64)
    bounds[:, 0], bounds[:, -1] = starts, stops
    if not len(quotes):
        bounds[:] = starts[:, None]
        return bounds, np.zeros(n, dtype=bool)
    separators = shape.separators
    last = len(quotes) - 1
    anchor, k = np.searchsorted(quotes, starts), 0  # the quote opening the first key
    at, ordered = starts, np.ones(n, dtype=bool)
    for j, kind in enumerate(shape.kinds):
        value = at + len(separators[j].encode())
        if kind == "text":  # past the key's two quotes and the value's opening one
            stop = quotes[np.minimum(anchor + k + 3, last)]
            k += 4
        elif j == keys - 1:  # the line's `}` follows
            stop = stops - 1
        elif kind == "object":
            stop = _object_ends(data, quotes, value, stops)
            anchor, k = np.searchsorted(quotes, stop), 0
        else:  # the next key's opening quote follows the comma
            stop = quotes[np.minimum(anchor + k + 2, last)] - 1
            k += 2
        bounds[:, 2 * j + 1], bounds[:, 2 * j + 2] = value, stop
        ordered &= stop >= value  # a separator's end is never before its start
        at = stop
    fit = ordered & (stops >= at) & ~_unusual(data, starts, stops)
    bounds[~fit] = starts[~fit, None]  # the array below needs ordered bounds
    every = pieces(block, bounds)
    width = bounds.shape[1]
    rows = np.arange(n, dtype=np.int64) * width
    for j, separator in enumerate(separators):
        fit &= np.asarray(pc.equal(every.take(pa.array(rows + 2 * j)), separator))
    for j, kind in enumerate(shape.kinds):
        if kind != "text":  # a string's bytes are checked by _unusual (its quotes above)
            values = every.take(pa.array(rows + 2 * j + 1))
            fit &= np.asarray(pc.fill_null(pc.match_substring_regex(values, VALUE[kind]), False))
    bounds[~fit] = starts[~fit, None]
    return bounds, fit


def _unusual(data: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Lines with a backslash or a control character, which no line of a shape has."""
    out = np.zeros(len(starts), dtype=bool)
    controls = data < 32
    # The common block: its only control characters end its lines, and no backslash.
    if np.count_nonzero(controls) == np.count_nonzero(data == ord("\n")) and not np.any(
        data == ord("\\")
    ):
        return out
    marks = np.flatnonzero(controls | (data == ord("\\")))
    marks = marks[data[marks] != ord("\n")]
    if len(marks):
        line = np.maximum(np.searchsorted(starts, marks, side="right") - 1, 0)
        out[line[(marks >= starts[line]) & (marks < stops[line])]] = True
    return out


def _object_ends(
    data: np.ndarray, quotes: np.ndarray, at: np.ndarray, stops: np.ndarray
) -> np.ndarray:
    """Just past the `}` closing each flat object that starts at `at`: the first `}` after it
    with an even number of quotes in between (outside a string); the line's end if none."""
    closes = np.flatnonzero(data == ord("}"))
    before = np.searchsorted(quotes, at)
    index = np.searchsorted(closes, at)
    todo = np.arange(len(at))
    stop = stops.copy()
    while len(todo):
        gone = index[todo] >= len(closes)
        todo = todo[~gone]
        close = closes[index[todo]]
        beyond = close >= stops[todo]
        todo, close = todo[~beyond], close[~beyond]
        inside = (np.searchsorted(quotes, close) - before[todo]) % 2 == 1
        stop[todo[~inside]] = close[~inside] + 1
        todo = todo[inside]
        index[todo] += 1
    return stop
