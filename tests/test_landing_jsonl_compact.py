"""The compact JSON-lines reader (core.blocks.landing_jsonl_compact) says what Python's json per
line says, for every kind of value at every place of the file's common line: it finds values by
counting quotes, so a value of another kind or length anywhere must not shift the others."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from lakeconsole.core.blocks.landing_jsonl import BadLines, _fast, _line_by_line
from lakeconsole.core.blocks.landing_jsonl_fast import Columns

# The declared columns: not every key of the lines, and one ("absent") that no line has.
COLUMNS = ("id", "n", "meta", "ok", "nothing", "tags", "note", "absent")

# The file's first line gives the shape: text, number, object, literal, null, object, text.
FIRST = (
    b'{"id":"a1","n":12.50,"meta":{"k":"v","p":1.50},"ok":true,"nothing":null,'
    b'"skip":"x","tags":{"t":"u"},"note":"end"}'
)
LINES = [
    # The same shape, values of other lengths and contents.
    b'{"id":"","n":-3,"meta":{},"ok":false,"nothing":null,"skip":"","tags":{},"note":""}',
    b'{"id":"caf\xc3\xa9 \xe2\x82\xac","n":0,"meta":{"s":"}{,:","q":"a\\u0062"},"ok":true,'
    b'"nothing":null,"skip":"{","tags":{"x":null,"y":true},"note":"}"}',
    b'{"id":"b","n":1e5,"meta":{"a":1,"a":2},"ok":true,"nothing":null,"skip":"s",'
    b'"tags":{"a":1,"b":2,"a":3},"note":"n"}',
    b'{"id":"c","n":-0,"meta":{"p":10.50,"z":0.0},"ok":true,"nothing":null,"skip":"s",'
    b'"tags":{"w":100.000,"v":-0.50},"note":"n"}',
    b'{"id":"d","n":1.0,"meta":{"small":0.00001,"big":12345678901234567},"ok":true,'
    b'"nothing":null,"skip":"s","tags":{"m":-0},"note":"n"}',
    b'{"id":"e","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{"t":"u"}}',
    # Another shape: a null where the shape has text, text where it has null, a nested object.
    b'{"id":null,"n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"}',
    b'{"id":"f","n":2,"meta":{"k":"v"},"ok":true,"nothing":"t","skip":"s","tags":{},"note":"n"}',
    b'{"id":"g","n":2,"meta":{"k":{"d":1}},"ok":true,"nothing":null,"skip":"s","tags":{},'
    b'"note":"n"}',
    b'{"id":"h","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"',
    b'{"id":"i\\"","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"}',
    b'{"id":"j","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"}x',
    b'{"id":"k","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"}'
    b'{"id":"l"}',
    b' {"id":"m","n":2,"meta":{"k":"v"},"ok":true,"nothing":null,"skip":"s","tags":{},"note":"n"}',
]


def read_both(block: bytes) -> tuple[pa.RecordBatch, pa.RecordBatch, BadLines, BadLines]:
    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    fast_bad, slow_bad = BadLines(), BadLines()
    fast = _fast(block, Columns(COLUMNS), schema, 0, fast_bad)
    assert fast is not None
    return fast, _line_by_line(block, COLUMNS, schema, 0, slow_bad), fast_bad, slow_bad


@pytest.mark.parametrize("line", LINES)
def test_a_line_after_the_shape_line_reads_as_python_reads_it(line: bytes) -> None:
    block = b"\n".join([FIRST, line, FIRST, line, FIRST]) + b"\n"
    fast, slow, fast_bad, slow_bad = read_both(block)
    assert fast.to_pylist() == slow.to_pylist()
    assert (fast_bad.count, fast_bad.first) == (slow_bad.count, slow_bad.first)


def test_the_shape_line_itself_is_cut_as_python_prints_it() -> None:
    fast, _, _, _ = read_both(FIRST + b"\n")
    assert fast.to_pylist() == [
        {
            "id": "a1",
            "n": "12.50",  # a top-level number keeps its text
            "meta": json.dumps({"k": "v", "p": 1.5}, separators=(",", ":")),
            "ok": "true",
            "nothing": None,
            "tags": '{"t":"u"}',
            "note": "end",
            "absent": None,
        }
    ]


@pytest.mark.parametrize("others", [10, 1500])
def test_many_or_few_lines_of_another_shape_read_the_same(others: int) -> None:
    """Few lines the shape does not fit are read by Python's json, many by pyarrow.json's
    reader: either way as Python's json per line says, each in its place."""
    other = b'{"note":"o%d","n":%d.10,"meta":{"r":[1]}}'
    lines = [FIRST]
    for i in range(others):
        lines += [other % (i, i), LINES[i % 6], b'{"id":"cut %d' % i]
    fast, slow, fast_bad, slow_bad = read_both(b"\n".join(lines))
    assert fast.to_pylist() == slow.to_pylist()
    assert fast_bad.count == slow_bad.count == others


@pytest.mark.parametrize("block_bytes", [64, 1000, 1 << 20])
def test_a_file_read_in_blocks_parsed_side_by_side_keeps_its_rows_in_order(
    tmp_path: Path, block_bytes: int
) -> None:
    """Blocks are parsed two at a time: the rows still come in file order, and the note names
    the file's first bad line by its row in the file, not in its block."""
    import hashlib

    from lakeconsole.core.blocks.landing_jsonl import read_jsonl

    lines = [FIRST if i % 7 else LINES[i % len(LINES)] for i in range(400)]
    lines[250] = b'{"id":"cut'
    path = tmp_path / "events_1.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    notes: list[str] = []
    with path.open("rb") as fh:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        got = [
            r
            for b in read_jsonl(fh, COLUMNS, digest, block_bytes, notes=notes)
            for r in b.to_pylist()
        ]
    _, slow, _, slow_bad = read_both(path.read_bytes())
    assert got == slow.to_pylist()
    assert slow_bad.first is not None
    assert notes == [
        f"{slow_bad.count} line(s) are not JSON objects (the first is row {slow_bad.first[0]}: "
        f"{slow_bad.first[1]!r}); their columns are empty and silver's rules quarantine them"
    ]


SHAPES = [
    FIRST,
    b'{"a":1,"b":{"x":"y"},"c":"z"}',
    b'{"o":{"k":1},"p":{"q":"r"},"s":null,"t":false}',
    b'{"only":"text"}',
    b'{"n":-1.5e3}',
    b'{"caf\xc3\xa9":"cr\xc3\xa8me","n":1,"\xe2\x82\xac":{"k":2}}',  # keys not ASCII
]
# Bytes that change what a line is when put anywhere in it.
NOISE = [
    b'"',
    b"\\",
    b"{",
    b"}",
    b",",
    b":",
    b" ",
    b"\t",
    b"0",
    b"-",
    b"e",
    b".",
    b"x",
    b"\xc3\xa9",
]


@pytest.mark.parametrize("first", SHAPES)
def test_the_quote_count_fits_exactly_the_lines_the_shapes_regex_fits(first: bytes) -> None:
    """The numpy check of a line against the shape agrees with the shape's regex (its
    definition) on the line, the line cut short anywhere, and a byte put in or dropped anywhere."""
    import numpy as np

    from lakeconsole.core.blocks.landing_jsonl_compact import _parts
    from lakeconsole.core.blocks.landing_jsonl_fast import _bounds
    from lakeconsole.core.blocks.landing_jsonl_shape import fits, shape_of

    shape = shape_of(first)
    assert shape is not None
    variants = [first] + [first[:i] for i in range(1, len(first))]
    variants += [first[:i] + first[i + 1 :] for i in range(len(first))]
    variants += [first[:i] + b + first[i:] for i in range(len(first) + 1) for b in NOISE]
    variants = [v for v in variants if v.strip(b" \t\r") and b"\n" not in v]
    try_utf8 = [v for v in variants if _decodes(v)]
    block = b"\n".join(try_utf8)
    starts, stops = _bounds(block)
    assert len(starts) == len(try_utf8)
    data = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    _, fit, _ = _parts(block, data, quotes, starts, stops, shape)
    lines = pa.array([block[a:b].decode() for a, b in zip(starts, stops, strict=True)])
    assert fit.tolist() == fits(lines, shape).tolist()
    assert fit.sum() > 1  # some variants still fit (a digit more, a letter in a string)
    # And every variant reads as Python's json reads it, its shape's keys as the columns.
    keys = list(shape.keys)
    schema = pa.schema([(c, pa.string()) for c in keys])
    fast_bad, slow_bad = BadLines(), BadLines()
    fast = _fast(first + b"\n" + block, Columns(keys), schema, 0, fast_bad)
    assert fast is not None
    slow = _line_by_line(first + b"\n" + block, keys, schema, 0, slow_bad)
    assert fast.to_pylist() == slow.to_pylist()
    assert (fast_bad.count, fast_bad.first) == (slow_bad.count, slow_bad.first)


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_block_without_a_single_quote_after_the_shape_is_read_as_python_reads_it() -> None:
    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    state = Columns(COLUMNS)
    assert _fast(FIRST + b"\n", state, schema, 0, BadLines()) is not None
    assert state.shape is not None  # learnt from the first block, kept for the next
    block = b"[1, 2]\n{}\nnot json\n"
    fast_bad, slow_bad = BadLines(), BadLines()
    fast = _fast(block, state, schema, 0, fast_bad)
    assert fast is not None
    assert fast.to_pylist() == _line_by_line(block, COLUMNS, schema, 0, slow_bad).to_pylist()
    assert (
        (fast_bad.count, fast_bad.first) == (slow_bad.count, slow_bad.first) == (2, (1, "[1, 2]"))
    )
