"""JSON lines read in Arrow, saying exactly what the line-by-line reader of
core.blocks.landing_jsonl says (Python's json per line), at a fraction of its cost.

How: the block's non-blank lines become one Arrow string array. Lines that could be read
differently by pyarrow and Python (not valid UTF-8, a control character, not `{...}`) are left
to Python. The rest are parsed by pyarrow.json, declared columns as text; a line pyarrow refuses
(cut short, a key twice) is left to Python and the lines around it parsed again. A column whose
values are not all strings (a nested `properties`, a number) is taken from the line's own text
(a number keeps it, as Python's reader does), and a nested value is put in the form Python's
`json.dumps(..., separators=(",", ":"), ensure_ascii=False)` gives, with Arrow's regexes: no
blanks, floats as Python prints them. Wherever that form is not certain (a backslash, a float
Python would print otherwise, a value nested two deep) the line is left to Python too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

# Reads one line with Python's json: its columns' text, or None when it is not an object.
PythonLine = Callable[[bytes], "list[str | None] | None"]

_ROW = re.compile(r"in row (\d+)")
_CHANGED = re.compile(r"Column\(/([^)]*)\) changed from")
# pyarrow reads Inf and NaN where Python's json reads only NaN, Infinity and -Infinity.
_NON_FINITE = r"[:,\[][ \t]*-?(?:Inf|NaN)"
# Outside strings (no backslash in these values, so a string is "[^"]*"): blanks, and the
# trailing zeros of a fraction, which Python's float repr drops (`10.50` → `10.5`).
_BLANKS = (r'("[^"]*")|[ \t\r\n]+', r"\1")
_ZEROS = (r'("[^"]*")|(\.[0-9]*?[0-9])0+([^0-9]|$)', r"\1\2\3")
# Numbers whose Python form is not their text less trailing zeros: an exponent, more digits
# than a double keeps (15), below 1e-4 (printed 1e-05), -0 (an int: 0), NaN and Infinity.
_UNSURE_NUMBER = r"[0-9][eE]|[0-9.]{17,}|(^|[^0-9.])-?0\.0000|-0([^.0-9]|$)|NaN|Infinity"


class Columns:
    """What one file's blocks have learnt: the declared columns not always strings."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.raw: set[str] = set()
        # The file's common line (core.blocks.landing_jsonl_compact.Shape), once seen.
        self.shape: Any = None

    def copy(self) -> Columns:
        """What has been learnt so far, for one block read beside others."""
        out = Columns(self.columns)
        out.raw, out.shape = set(self.raw), self.shape
        return out

    def learn(self, other: Columns) -> None:
        """Keep what reading one block (with `other`, a copy) learnt."""
        self.raw |= other.raw
        if self.shape is None:
            self.shape = other.shape


def read_block(
    block: bytes, state: Columns, python_line: PythonLine
) -> tuple[list[pa.Array], list[tuple[int, bytes]]] | None:
    """The block's rows: one text array per column, and the lines that are not JSON objects
    (index among the rows, bytes) in order. None when the block is not UTF-8 (Python reads it
    all)."""
    import pyarrow as pa

    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    starts, stops = _bounds(block)
    lines = _spans(block, starts, stops - starts)
    n = len(lines)
    by_python = _doubtful(block, starts, stops)
    if n:
        by_python |= np.asarray(pc_match(lines, _NON_FINITE))
    values: list[list[pa.Array]] = [[] for _ in state.columns]
    order: list[np.ndarray] = []
    runs = _parse(block, starts, stops, np.flatnonzero(~by_python), state, by_python)
    if runs:
        rows = np.concatenate([r for r, _ in runs])
        at = _At(block, starts[rows], stops[rows])
        sure, columns = _columns(lines.take(pa.array(rows)), at, runs, state)
        by_python[rows[~sure]] = True
        order.append(rows[sure])
        keep = pa.array(sure)
        for i, column in enumerate(columns):
            values[i].append(column.filter(keep))
    python = np.flatnonzero(by_python)
    python_values: list[list[str | None]] = [[] for _ in state.columns]
    bad: list[tuple[int, bytes]] = []
    for index, text in zip(python, lines.take(pa.array(python)).to_pylist(), strict=True):
        raw = text.encode("utf-8")
        got = python_line(raw)
        if got is None:
            bad.append((int(index), raw))
        for i in range(len(state.columns)):
            python_values[i].append(None if got is None else got[i])
    order.append(python)
    positions = np.concatenate(order) if order else np.zeros(0, np.int64)
    # Back in line order: row k of the output is line k of the block.
    back = pa.array(np.argsort(positions, kind="stable"))
    out = []
    for i in range(len(state.columns)):
        parts = [*values[i], pa.array(python_values[i], pa.string())]
        out.append(pa.chunked_array(parts, pa.string()).combine_chunks().take(back))
    assert all(len(c) == n for c in out)
    return out, bad


def pc_match(values: pa.Array, pattern: str) -> pa.Array:
    import pyarrow.compute as pc

    return pc.match_substring_regex(values, pattern)


class _At:
    """Where some lines are in the block: line i is block[starts[i]:stops[i]]."""

    def __init__(self, block: bytes, starts: np.ndarray, stops: np.ndarray) -> None:
        self.block, self.starts, self.stops = block, starts, stops

    def take(self, rows: np.ndarray) -> _At:
        return _At(self.block, self.starts[rows], self.stops[rows])


def _bounds(block: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where the block's lines are, without their blanks at either end (as
    bytes.strip(b" \t\r")), the blank ones left out: the rows, in order."""
    if not block:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    starts = np.concatenate([[0], ends + 1]).astype(np.int64)
    stops = np.concatenate([ends, [len(block)]]).astype(np.int64)
    # Move both ends past blanks (few lines have any).
    for _ in range(len(block) + 1):
        at = np.minimum(starts, len(block) - 1)
        step = (starts < stops) & _blank(data[at])
        if not step.any():
            break
        starts[step] += 1
    for _ in range(len(block) + 1):
        at = np.maximum(stops - 1, 0)
        step = (stops > starts) & _blank(data[at])
        if not step.any():
            break
        stops[step] -= 1
    keep = stops > starts
    return starts[keep], stops[keep]


def _blank(values: np.ndarray) -> np.ndarray:
    return (values == 32) | (values == 9) | (values == 13)


def _doubtful(block: bytes, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Lines pyarrow may read otherwise than Python: with a control character, or not one
    `{...}` (then a cut line could run on into the next)."""
    data = np.frombuffer(block, dtype=np.uint8)
    if len(starts) == 0:
        return np.zeros(0, dtype=bool)
    doubt = (data[starts] != ord("{")) | (data[stops - 1] != ord("}"))
    control = np.flatnonzero(data < 32)
    control = control[data[control] != 10]
    if len(control):
        line = np.searchsorted(starts, control, side="right") - 1
        inside = (line >= 0) & (control < stops[np.maximum(line, 0)])
        doubt[line[inside]] = True
    return doubt


def _parse(
    block: bytes,
    starts: np.ndarray,
    stops: np.ndarray,
    rows: np.ndarray,
    state: Columns,
    by_python: np.ndarray,
) -> list[tuple[np.ndarray, pa.Table]]:
    """The lines `rows` parsed by pyarrow.json in runs of consecutive lines; a line it refuses
    is marked in `by_python` and the run split around it."""
    import pyarrow as pa

    out: list[tuple[np.ndarray, pa.Table]] = []
    # Runs of consecutive rows: a Python row in between splits them.
    todo = [r for r in np.split(rows, np.flatnonzero(np.diff(rows) != 1) + 1) if len(r)]
    todo.reverse()
    while todo:
        run = todo.pop()
        # The block's own bytes: between the lines only newlines and blanks, which JSON skips.
        piece = memoryview(block)[int(starts[run[0]]) : int(stops[run[-1]])]
        try:
            table = _read_json(piece, state)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            message = str(exc)
            changed = _CHANGED.search(message)
            if changed and changed[1] in state.columns and changed[1] not in state.raw:
                state.raw.add(changed[1])  # not always text: read from the line from now on
                todo.append(run)
                continue
            if changed and changed[1].split("/")[0] in state.columns:
                state.raw.add(changed[1].split("/")[0])
            at = _ROW.search(message)
            k = int(at[1]) if at else -1
            if not 0 <= k < len(run):
                by_python[run] = True
                continue
            if changed and k > 0:  # types change from line k: two runs, each its own types
                todo += [run[k:], run[:k]]
                continue
            by_python[run[k]] = True
            todo += [r for r in (run[k + 1 :], run[:k]) if len(r)]
            continue
        if table.num_rows != len(run):  # two objects on one line: Python says what it is
            by_python[run] = True
            continue
        out.append((run, table))
    return out


def _read_json(piece: bytes | memoryview, state: Columns) -> pa.Table:
    import pyarrow as pa
    import pyarrow.json as pj

    schema = pa.schema([(c, pa.string()) for c in state.columns if c not in state.raw])
    return pj.read_json(
        pa.py_buffer(piece),
        read_options=pj.ReadOptions(block_size=max(len(piece), 1), use_threads=False),
        # Undeclared keys are inferred, not ignored: a key twice at any depth is refused.
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
    )


def _columns(
    lines: pa.Array, at: _At, runs: list[tuple[np.ndarray, pa.Table]], state: Columns
) -> tuple[np.ndarray, list[pa.Array]]:
    """Each declared column of the parsed runs (their `lines`, in order) as text, and which
    rows that is certain for."""
    import pyarrow as pa

    sure = np.ones(len(lines), dtype=bool)
    out = []
    for name in state.columns:
        parts, present = [], []
        for rows, table in runs:
            if name not in table.column_names:
                parts.append(pa.nulls(len(rows), pa.string()))
                present.append(np.zeros(len(rows), dtype=bool))
                continue
            column = table.column(name).combine_chunks()
            valid = np.asarray(column.is_valid())
            parts.append(column if name not in state.raw else pa.nulls(len(rows), pa.string()))
            present.append(valid)
            if name in state.raw and any(_deep(f.type) for f in _children(column.type)):
                present[-1] = np.zeros(len(rows), dtype=bool)
                start = sum(len(r) for r in present[:-1])
                sure[start : start + len(rows)] &= ~valid  # two deep: Python says what it is
        if name not in state.raw:
            out.append(pa.chunked_array(parts, pa.string()).combine_chunks())
            continue
        text, certain = _raw_text(lines, at, name, np.concatenate(present))
        sure &= certain
        out.append(text)
    return sure, out


def _raw_text(
    lines: pa.Array, at: _At, name: str, present: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """Column `name` as the text Python's reader keeps, from each line's bytes where the
    parse found it (`present`); and which rows that is certain for (the rest go to Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(lines)
    key = f'"{name}"'
    pick = np.flatnonzero(present)
    sure = ~present
    if not len(pick):
        return pa.nulls(n, pa.string()), sure
    chosen = lines.take(pa.array(pick))
    # The key once and no backslash: then that one match is the key at the top.
    once = np.asarray(pc.equal(pc.count_substring(chosen, key), 1))
    plain = ~np.asarray(pc.match_substring(chosen, "\\"))
    fit = np.flatnonzero(once & plain)
    values, certain = _values(chosen.take(pa.array(fit)), at.take(pick[fit]), key)
    good = fit[certain]
    sure[pick[good]] = True
    where = np.full(n, -1, dtype=np.int64)
    where[pick[good]] = np.flatnonzero(certain)
    index = pa.array(where, mask=where < 0)
    return values.take(index), sure


def _children(kind: pa.DataType) -> list[pa.Field]:
    import pyarrow as pa

    if pa.types.is_struct(kind):
        return [kind.field(i) for i in range(kind.num_fields)]
    if pa.types.is_list(kind):
        return [kind.value_field]
    return []


def _deep(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return pa.types.is_struct(kind) or pa.types.is_list(kind)


def _values(lines: pa.Array, at: _At, key: str) -> tuple[pa.Array, np.ndarray]:
    """The text after `key` and its colon in each line (no backslash, the key once), as
    Python's reader keeps it; and whether that is certain."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(lines)
    if not n:
        return pa.array([], pa.string()), np.zeros(0, dtype=bool)
    buf = at.block
    data = np.frombuffer(buf, dtype=np.uint8)
    found = at.starts + np.asarray(pc.find_substring(lines, key), dtype=np.int64) + len(key)
    colon = _skip_blanks(data, found)
    start = _skip_blanks(data, colon + 1)
    last = len(data) - 1
    first = data[np.minimum(start, last)]
    quote = np.flatnonzero(data == ord('"'))
    # A value ends at: its closing quote (a string), the first } or ] (an object or array of
    # plain values), else the next , or } (a number, true, false).
    ends = np.empty(n, dtype=np.int64)
    is_string = first == ord('"')
    is_object = first == ord("{")
    is_array = first == ord("[")
    for mask, marks, include in (
        (is_string, quote, 1),
        (is_object, np.flatnonzero(data == ord("}")), 1),
        (is_array, np.flatnonzero(data == ord("]")), 1),
        (
            ~(is_string | is_object | is_array),
            np.flatnonzero((data == ord(",")) | (data == ord("}"))),
            0,
        ),
    ):
        if mask.any():
            from_ = start[mask] + (1 if include and mask is is_string else 0)
            found = np.searchsorted(marks, from_)
            ends[mask] = marks[np.minimum(found, len(marks) - 1)] + include
    # Quotes inside a nested value must pair up, or a } was inside a string.
    quotes = np.searchsorted(quote, ends) - np.searchsorted(quote, start)
    certain = (
        (data[np.minimum(colon, last)] == ord(":"))
        & (ends > start)
        & (ends <= at.stops)
        & (quotes % 2 == 0)
    )
    lengths = np.clip(ends - start, 0, None)
    span = _spans(buf, start, lengths)
    strings = pc.utf8_slice_codeunits(span, 1, -1)
    others = pc.utf8_rtrim(_canonical(span, is_object | is_array), " \t\r")
    text = pc.if_else(pa.array(is_string), strings, others)
    # Strings are cut out before looking at the numbers, only where a number may be unsure.
    unsure = _where(span, ~is_string & _matches(span, _UNSURE_NUMBER), _unsure_outside_strings)
    certain &= ~unsure
    return text, certain


def _unsure_outside_strings(span: pa.Array) -> np.ndarray:
    import pyarrow.compute as pc

    unquoted = pc.replace_substring_regex(span, r'"[^"]*"', '""')
    return _matches(unquoted, _UNSURE_NUMBER)


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.match_substring_regex(values, pattern), True))


def _where(
    values: pa.Array, rows: np.ndarray, check: Callable[[pa.Array], np.ndarray]
) -> np.ndarray:
    """`check` of the `rows` of `values` (False elsewhere), run on those rows only."""
    import pyarrow as pa

    out = np.zeros(len(values), dtype=bool)
    picked = np.flatnonzero(rows)
    if len(picked):
        out[picked] = check(values.take(pa.array(picked)))
    return out


def _skip_blanks(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Each position moved past the spaces and tabs there (JSON's blanks inside a line)."""
    at = at.copy()
    for _ in range(8):  # more blanks than that between tokens: left to the certainty check
        blank = (at < len(data)) & np.isin(data[np.minimum(at, len(data) - 1)], (32, 9, 13))
        if not blank.any():
            break
        at[blank] += 1
    return at


def _spans(buf: bytes, start: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """The bytes buf[start:start+length] of each row as a string array, without copying them
    one by one: string views into `buf` (16 bytes a row), then one cast."""
    import pyarrow as pa

    n = len(start)
    views = np.zeros((n, 16), dtype=np.uint8)
    words = views.view(np.int32)
    words[:, 0] = lengths
    data = np.frombuffer(buf, dtype=np.uint8)
    # A view holds its first 12 bytes (short values whole) or its first 4 and where it is.
    for k in range(12):
        has = lengths > k
        views[has, 4 + k] = data[start[has] + k]
    long = lengths > 12
    words[long, 2] = 0
    words[long, 3] = start[long]
    viewed = pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views.tobytes()), pa.py_buffer(buf)]
    )
    return viewed.cast(pa.string())


def pieces(buf: bytes, bounds: np.ndarray) -> pa.Array:
    """The bytes between each two neighbouring positions of `bounds` (non-decreasing in
    reading order) as one string array over `buf`, without a copy: `bounds` of shape (n, 2k)
    gives 2k values a row, value 2j of row i being buf[bounds[i, 2j]:bounds[i, 2j + 1]] (the
    odd ones are what lies between). A take of the even ones copies them out at C speed."""
    import pyarrow as pa

    flat = bounds.ravel()
    offsets = np.empty(len(flat) + 1, dtype=np.int32)  # blocks are below 2 GiB (MAX_BLOCK_BYTES)
    offsets[:-1] = flat
    offsets[-1] = flat[-1] if len(flat) else 0
    return pa.StringArray.from_buffers(len(flat), pa.py_buffer(offsets), pa.py_buffer(buf))


def put(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """`values` with its `rows` (ascending) replaced by `new`'s values in order: one take of
    both, a third of pc.replace_with_mask's time on strings."""
    import pyarrow as pa

    index = np.arange(len(values), dtype=np.int64)
    index[rows] = len(values) + np.arange(len(rows))
    return pa.concat_arrays([values, new.cast(values.type)]).take(pa.array(index))


def _canonical(span: pa.Array, nested: np.ndarray) -> pa.Array:
    """Nested values compact, their floats as Python prints them; other values as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Each rewrite only on the values that may need it (a blank; a 0 ending a fraction).
    for (pattern, replacement), may in ((_BLANKS, r"[ \t\r]"), (_ZEROS, r"\.[0-9]*0([^0-9]|$)")):
        rows = np.flatnonzero(nested & _matches(span, may))
        if len(rows):
            index = pa.array(rows)
            fixed = pc.replace_substring_regex(span.take(index), pattern, replacement)
            mask = np.zeros(len(span), dtype=bool)
            mask[rows] = True
            span = pc.replace_with_mask(span, pa.array(mask), fixed)
    return span
