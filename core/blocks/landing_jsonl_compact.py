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

from dataclasses import dataclass
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
    cutting = cut(block, starts, stops, state.shape, state.columns)
    others = np.flatnonzero(~cutting.sure)
    if not len(others):
        return cutting.columns(), []
    theirs, bad = _others(block, starts[others], stops[others], state, python_line)
    return cutting.columns(others, theirs), [(int(others[i]), raw) for i, raw in bad]


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


@dataclass
class _Cut:
    """A block's lines as the shape cuts them (`bounds`, core.blocks.landing_jsonl_fast.pieces,
    two a value: value j of a row is piece 2j + 1), which of them that is certain for, and the
    columns already made (nested objects as Python prints them; numbers, looked at for `-0`)."""

    block: bytes
    bounds: np.ndarray
    sure: np.ndarray
    kinds: list[str | None]  # each column's kind in the shape; None when it has no value there
    places: list[int]  # each column's key index in the shape
    made: dict[int, pa.Array]

    def columns(
        self, others: np.ndarray | None = None, theirs: list[pa.Array] | None = None
    ) -> list[pa.Array]:
        """The columns, the lines `others` (ascending) taking the values `theirs` instead."""
        import pyarrow as pa

        n = len(self.bounds)
        out: list[pa.Array] = []
        plain = [i for i, kind in enumerate(self.kinds) if kind and i not in self.made]
        texts = self._taken(plain, others, theirs)
        for i in range(len(self.kinds)):
            if i in texts:
                out.append(texts[i])
                continue
            mine = self.made.get(i, pa.nulls(n, pa.string()))
            out.append(mine if others is None or theirs is None else put(mine, others, theirs[i]))
        return out

    def _taken(
        self, columns: list[int], others: np.ndarray | None, theirs: list[pa.Array] | None
    ) -> dict[int, pa.Array]:
        """`columns` (indices) copied out of the block by one take each; the values of the
        lines `others` come from `theirs`, put after the block's bytes (one array over both)."""
        import pyarrow as pa

        n, width = self.bounds.shape
        rows = np.arange(n, dtype=np.int64) * width
        if others is None or theirs is None:
            every = pieces(self.block, self.bounds)
            return {i: every.take(pa.array(rows + 2 * self.places[i] + 1)) for i in columns}
        values = [theirs[i].to_pylist() for i in columns]
        encoded = [b"" if v is None else v.encode() for column in values for v in column]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        after = len(self.block) + np.concatenate([[0], np.cumsum(lengths)])
        offsets = np.concatenate([self.bounds.ravel(), after]).astype(np.int32)
        buffer = pa.py_buffer(b"".join([self.block, *encoded]))
        every = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), buffer)
        m, out = len(others), {}
        for c, i in enumerate(columns):
            index = rows + 2 * self.places[i] + 1
            index[others] = n * width + c * m + np.arange(m)
            missing = np.zeros(n, dtype=bool)
            missing[others] = [v is None for v in values[c]]
            out[i] = every.take(pa.array(index, mask=missing))
        return out


def cut(
    block: bytes, starts: np.ndarray, stops: np.ndarray, shape: Shape, columns: list[str]
) -> _Cut:
    """`columns` of the block's lines (block[starts:stops]) as Python's reader says them where
    the shape fits, and which lines that is certain for: the others (and lines it does not
    fit, whose values here are empty) go to the other readers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(starts)
    data = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    bounds, sure, objects = _parts(block, data, quotes, starts, stops, shape)
    kinds: list[str | None] = []
    places: list[int] = []
    made: dict[int, pa.Array] = {}
    rows = np.arange(n, dtype=np.int64) * bounds.shape[1]
    every = pieces(block, bounds)
    for i, name in enumerate(columns):
        j = shape.keys.index(name) if name in shape.keys else -1
        kind = shape.kinds[j] if j >= 0 and shape.kinds[j] != "null" else None
        kinds.append(kind)
        places.append(j)
        if kind not in ("number", "object"):
            continue
        values = every.take(pa.array(rows + 2 * j + 1))
        if kind == "number":
            sure &= ~np.asarray(pc.equal(values, "-0"))  # Python's int: 0
        else:
            values, certain = nested(values, block, quotes, *objects[j])
            sure &= certain
        made[i] = values
    return _Cut(block, bounds, sure, kinds, places, made)


def _parts(
    block: bytes,
    data: np.ndarray,
    quotes: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    shape: Shape,
) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Where each line's parts would be if the shape fits it, and whether it does. Row i of
    the bounds is line i cut into the shape's separators and values in turn (separator 0,
    value 0, separator 1, ..., the last separator; core.blocks.landing_jsonl_fast.pieces); a
    line that does not fit is all at its start (its values empty). For each nested object (by
    key index): the ordinal of its first quote and one past its last (0 where it does not fit)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n, keys = len(starts), len(shape.keys)
    bounds = np.empty((n, 2 * keys + 2), dtype=np.int64)
    bounds[:, 0], bounds[:, -1] = starts, stops
    if not len(quotes):
        bounds[:] = starts[:, None]
        none = np.zeros(n, dtype=np.int64)
        kinds = enumerate(shape.kinds)
        return bounds, np.zeros(n, dtype=bool), {j: (none, none) for j, t in kinds if t == "object"}
    separators = shape.separators
    last = len(quotes) - 1
    firsts = np.searchsorted(quotes, starts)  # each line's first quote: its first key's
    # One past each line's last quote: the next line's first (only blanks lie between).
    ends = np.append(firsts[1:], len(quotes))
    anchor, k = firsts, 0
    at, ordered = starts, np.ones(n, dtype=bool)
    objects: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j, kind in enumerate(shape.kinds):
        value = at + len(separators[j].encode())
        if kind == "text":  # past the key's two quotes and the value's opening one
            stop = quotes[np.minimum(anchor + k + 3, last)]
            k += 4
        elif j == keys - 1:  # the line's `}` follows
            stop = stops - 1
            if kind == "object":
                objects[j] = (anchor + k + 2, ends)
        elif kind == "object":
            stop = _object_ends(data, quotes, value, stops)
            inside = anchor + k + 2
            anchor, k = np.searchsorted(quotes, stop), 0
            objects[j] = (inside, anchor)
        else:  # the next key's opening quote follows the comma
            stop = quotes[np.minimum(anchor + k + 2, last)] - 1
            k += 2
        bounds[:, 2 * j + 1], bounds[:, 2 * j + 2] = value, stop
        ordered &= stop >= value  # a separator's end is never before its start
        at = stop
    fit = ordered & (stops >= at) & ~_unusual(block, data, starts, stops)
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
    for first, end in objects.values():
        first[~fit] = end[~fit] = 0  # (arrays of this call's own)
    return bounds, fit, objects


def _unusual(block: bytes, data: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Lines with a backslash or a control character, which no line of a shape has."""
    out = np.zeros(len(starts), dtype=bool)
    marks = np.flatnonzero(data < 32)
    marks = marks[data[marks] != ord("\n")]
    # The common block: its only control characters end its lines, and no backslash.
    if not len(marks) and b"\\" not in block:
        return out
    marks = np.union1d(marks, np.flatnonzero(data == ord("\\")))
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
