"""The bronze block on a pipeline of its own: JSON lines, Parquet, a CSV glob in a sub-folder,
exactly-once, bad files quarantined and left in place, strays named in the warnings."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from lakeconsole import Pipeline, landing
from lakeconsole.core.api import BronzeTable
from lakeconsole.core.blocks.bronze import run
from lakeconsole.core.dag import StepContext, StepResult
from lakeconsole.core.settings import Settings

COLUMNS = ("event_id", "amount", "payload")


def shop() -> dict[str, BronzeTable]:
    p = Pipeline("shop")
    return {
        "events": p.bronze("bronze/events_raw", source=landing("events_*.jsonl", columns=COLUMNS)),
        "sales": p.bronze("bronze/sales_raw", source=landing("sales_*.parquet", columns=COLUMNS)),
        "eu": p.bronze(
            "bronze/eu_orders_raw",
            source=landing("orders/orders_*.csv", columns=COLUMNS, folder="eu"),
        ),
    }


@pytest.fixture
def tables() -> dict[str, BronzeTable]:
    return shop()


def folder(settings: Settings, sub: str = "") -> Path:
    path = settings.data_dir / "landing" / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def ingest(settings: Settings, table: BronzeTable) -> StepResult:
    ctx = StepContext(settings, "run-1", table.step, lambda *a: None, threading.Event())
    return run(ctx, table)


def bronze_rows(settings: Settings, table: BronzeTable) -> list[dict[str, object]]:
    rows = DeltaTable(str(table.spec.path(settings.data_dir))).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda r: (str(r["_source_file"]), int(str(r["_source_row"]))))


def rejected(settings: Settings, table: BronzeTable) -> dict[str, str]:
    assert table.rejected_files is not None
    path = table.rejected_files.path(settings.data_dir)
    rows = DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    return {str(r["file"]): str(r["reason"]) for r in rows}


def test_json_lines_keep_every_value_as_text_and_a_bad_line_as_an_empty_row(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    lines = [
        json.dumps({"event_id": "e1", "amount": 12.50, "payload": {"n": [1, 2]}, "extra": 1}),
        '{"event_id": "e2", "amount": 12.50, "payload": true}',
        '{"event_id": "e3", "amount": 7',  # cut short
        "",
        '{"event_id": "e4"}',
    ]
    (folder(settings) / "events_1.jsonl").write_text("\n".join(lines) + "\n")
    result = ingest(settings, tables["events"])
    got = [
        (r["event_id"], r["amount"], r["payload"], r["_source_row"])
        for r in bronze_rows(settings, tables["events"])
    ]
    assert got == [
        ("e1", "12.5", '{"n":[1,2]}', 1),
        ("e2", "12.50", "true", 2),  # the number as it was written
        (None, None, None, 3),  # counted, for silver's rules to quarantine
        ("e4", None, None, 4),  # a blank line is not a row; a missing key is null
    ]
    assert result.landing_rows == 4
    assert any(
        "events_1.jsonl: 1 line(s) are not JSON objects (the first is row 3" in w
        for w in result.warnings
    )


def test_plain_string_json_lines_read_fast_say_the_same(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    lines = [json.dumps({"event_id": f"e{i}", "amount": "1.00"}) for i in range(1, 4)]
    (folder(settings) / "events_1.jsonl").write_text("\n".join(lines))  # no final newline
    ingest(settings, tables["events"])
    got = [
        (r["event_id"], r["amount"], r["payload"], r["_source_row"])
        for r in bronze_rows(settings, tables["events"])
    ]
    assert got == [("e1", "1.00", None, 1), ("e2", "1.00", None, 2), ("e3", "1.00", None, 3)]


def test_a_file_that_is_not_json_lines_is_quarantined_and_left_in_place(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    path = folder(settings) / "events_2.jsonl"
    path.write_text("event_id,amount\ne1,3\n")
    result = ingest(settings, tables["events"])
    assert rejected(settings, tables["events"]) == {
        "events_2.jsonl": "not JSON lines: no line is a JSON object"
    }
    assert path.exists()
    assert any("events_2.jsonl was not ingested" in w for w in result.warnings)
    assert bronze_rows(settings, tables["events"]) == []


def test_parquet_columns_are_read_as_text(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    data = pa.table(
        {
            "Event_ID": ["s1", "s2"],
            "amount": pa.array([3, None], pa.int64()),
            "payload": pa.array([{"k": "v"}, None]),
            "ignored": [1.0, 2.0],
        }
    )
    pq.write_table(data, folder(settings) / "sales_1.parquet")
    result = ingest(settings, tables["sales"])
    got = [
        (r["event_id"], r["amount"], r["payload"], r["_source_row"])
        for r in bronze_rows(settings, tables["sales"])
    ]
    assert got == [("s1", "3", '{"k":"v"}', 1), ("s2", None, None, 2)]
    assert result.landing_rows == 2


def test_a_parquet_file_missing_a_column_or_not_parquet_is_refused_with_the_reason(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    pq.write_table(pa.table({"event_id": ["s1"]}), folder(settings) / "sales_1.parquet")
    (folder(settings) / "sales_2.parquet").write_text("not parquet at all")
    ingest(settings, tables["sales"])
    reasons = rejected(settings, tables["sales"])
    assert reasons["sales_1.parquet"] == "missing column(s) amount, payload"
    assert reasons["sales_2.parquet"].startswith("not a Parquet file")
    assert (folder(settings) / "sales_1.parquet").exists()


def test_a_csv_glob_in_a_sub_folder_reads_only_its_files(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    eu = folder(settings, "eu/orders")
    (eu / "orders_1.csv").write_text("payload,event_id,amount\np,o1,5\np,o2,6\n")
    (folder(settings) / "orders_9.csv").write_text("event_id,amount,payload\nx,1,p\n")
    result = ingest(settings, tables["eu"])
    got = [
        (r["event_id"], r["amount"], r["_source_row"]) for r in bronze_rows(settings, tables["eu"])
    ]
    assert got == [("o1", "5", 1), ("o2", "6", 2)]
    assert result.warnings == []  # the root folder's strays are its first table's to name


def test_the_same_content_is_ingested_once_and_a_renamed_copy_is_new_data(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    eu = folder(settings, "eu/orders")
    (eu / "orders_1.csv").write_text("event_id,amount,payload\no1,5,p\n")
    assert ingest(settings, tables["eu"]).landing_rows == 1
    assert ingest(settings, tables["eu"]).landing_rows == 0
    (eu / "orders_1.csv").rename(eu / "orders_2.csv")  # today's rule: a new name is new data
    assert ingest(settings, tables["eu"]).landing_rows == 1
    assert len(bronze_rows(settings, tables["eu"])) == 2


def test_a_landing_file_no_source_reads_is_named_in_the_warnings(
    settings: Settings, tables: dict[str, BronzeTable]
) -> None:
    (folder(settings) / "events_1.jsonl").write_text('{"event_id": "e1"}\n')
    (folder(settings) / "notes.txt").write_text("hello")
    folder(settings, "eu/orders")
    result = ingest(settings, tables["events"])
    assert result.warnings == [
        "landing entry notes.txt skipped: matches no landing source of the pipeline "
        "(patterns: events_*.jsonl, sales_*.parquet)"
    ]  # eu/, another source's folder, is not a stray
    assert ingest(settings, tables["sales"]).warnings == []  # named once per run


TRICKY_LINES = [
    b'{"event_id": "e1", "amount": "2.50"}',
    b'{"payload": null, "x": "y"}',
    b'{"amount": "\\u00e9", "event_id": "a\\"b"}',
    b'{"event_id":"e2","amount":12.50,"payload":{"n":1,"p":10.50,"q":"x.500","z":0.0}}',
    b'{"event_id":"e3","amount":-0,"payload":[1.00, 2 , "a b  "]}',
    b'{"event_id":"e4","amount":1e5,"payload":{"small":0.00001,"big":12345678901234567}}',
    b'{"event_id":"e5","amount":true,"payload":{"deep":{"a":1}}}',
    b'{"event_id":"e6","payload":{"a":1,"a":2}}',  # a key twice in the nested value
    b'{"event_id":"e7","event_id":"e8"}',  # a key twice at the top
    b'{"event_id":"e9","amount":Inf}',
    b'{"event_id":"e10","amount":NaN,"payload":-Infinity}',
    b'{"event_id":"e11","payload":{"s":"}{"}}',
    b'{"event_id":"e12","payload":"text","amount":"x \\/ y"}',
    b'{"event_id":"e13","amount" :  7 , "payload" : { "k" : [ 1 ] } }',
    b'{"event_id": "e14", "amount": 3',  # cut short
    b'{"event_id":"e15"}{"event_id":"e16"}',  # two objects on a line
    b"[1, 2]",
    b'"just text"',
    b'{"event_id":"e17","note":"payload","payload":{"amount":1}}',
    b'{"event_id":"e18","x":{"payload":1}}',
    b'{"event_id":"tab\there"}',
    b'  {"event_id":"e19"}  \r',
    b'{"event_id":"e20","amount":1.0E+2,"payload":{"t":true,"f":false,"n":null,"e":{}}}',
    b'{"event_id":"e21","payload":{"u":"caf\xc3\xa9","v":0.1,"w":100.0,"x":-0.0,"y":0.0001}}',
    b'{"event_id":"e22","payload":[[1]],"amount":{"a":[1,{"b":2}]}}',
    b'{"event_id":"e23","payload":{"a":1},"amount":"late string"}',
    b'{"event_id":"e24","payload":{"price":19.90,"qty":3},"amount":"  padded  "}',
    # Compact lines, as the compact reader cuts them (core.blocks.landing_jsonl_compact).
    b'{"event_id":"c1","amount":"1","payload":{"a":1,"a":2}}',
    b'{"event_id":"c2","amount":"2","payload":{"p":10.50,"q":"x.500","z":0.0,"m":-0,"n":-0.0}}',
    b'{"event_id":"c3","amount":"3","payload":{"s":"a}b,{c","t":":,","u":"}"}}',
    b'{"event_id":"c4","amount":"4","payload":{"small":0.00001,"big":12345678901234567}}',
    b'{"event_id":"c5","amount":"5","payload":{}}',
    b'{"event_id":"c6","amount":"6","payload":{"x":"caf\xc3\xa9","b":true,"c":null,"y":0.0001}}',
    b'{"event_id":"c7","amount":"7","payload":{"a":1,"b":2,"a":3}}',
    b'{"event_id":null,"amount":"8","payload":{"a":1}}',
    b'{"event_id":"c9","amount":"9","payload":{"k":"v"}',
    b'{"event_id":"c10","amount":"10","payload":{"n":1e5}}',
    b'{"event_id":"c11","amount":"11","payload":{"v":1.10,"w":100.000,"x":-0.50,"i":10}}',
    b'{"event_id":"c12","amount":"","payload":{"item_id":"I0","item_id":"I1"},"x":[1]}',
    b'{"event_id":"c13","amount":-0,"payload":{"a":1}}',
    b'{"event_id":"c14","amount":12.50,"payload":{"a":"b"}}',
    b'{"event_id":"c15","amount":1E+5,"payload":{"a":"b"}}',
    b'{"event_id":"c16","amount":true,"payload":"text"}',
    b'{"event_id":"c17","amount":"17","payload":{"a":{"b":1}}}',
    b'{"event_id":"c18","amount":"18","payload":{"a":[1,2]}}',
    b'{"event_id":"c19","amount":"19","payload":{"a":1},"amount":"twice"}',
    b'{"a.b":1,"event_id":"c20","(x)":"y","payload":{"a":0.5}}',
    b'{"event_id":"c21","amount":"\xe2\x82\xac21","payload":{"a":1}}',
    b'{"event_id":"c22","amount":"22","payload":{"a":123456789012345678901234567890}}',
]


@pytest.mark.parametrize("cut", [1, 3, len(TRICKY_LINES)])
def test_the_arrow_json_reader_says_what_the_line_by_line_one_says(cut: int) -> None:
    """Every kind of line, alone and among the others, read both ways: the same rows, the same
    lines named as not JSON objects (Python's json per line is the reference)."""
    from lakeconsole.core.blocks.landing_jsonl import BadLines, _fast, _line_by_line
    from lakeconsole.core.blocks.landing_jsonl_fast import Columns

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    for lo in range(0, len(TRICKY_LINES), cut):
        for plain in (
            [],
            [b'{"event_id":"p","amount":"1","payload":{"a":1.50}}'] * 3,
            [b'{"event_id":"p","amount":2,"payload":{"a":"x"}}'] * 3,
        ):
            block = b"\n".join([*plain, *TRICKY_LINES[lo : lo + cut], *plain]) + b"\n\n"
            fast_bad, slow_bad = BadLines(), BadLines()
            fast = _fast(block, Columns(COLUMNS), schema, 10, fast_bad)
            assert fast is not None
            slow = _line_by_line(block, COLUMNS, schema, 10, slow_bad)
            assert fast.to_pylist() == slow.to_pylist(), block
            assert (fast_bad.count, fast_bad.first) == (slow_bad.count, slow_bad.first)


def test_a_json_lines_block_that_is_not_utf8_is_read_by_python() -> None:
    from lakeconsole.core.blocks.landing_jsonl import BadLines, _fast
    from lakeconsole.core.blocks.landing_jsonl_fast import Columns

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    assert _fast(b'{"event_id":"\xff"}\n', Columns(COLUMNS), schema, 0, BadLines()) is None


@pytest.mark.parametrize("utf8", [True, False])
def test_a_lone_surrogate_escape_is_a_bad_line_not_a_crash(
    settings: Settings, tables: dict[str, BronzeTable], utf8: bool
) -> None:
    """\\ud800 is valid JSON but no UTF-8 text: the line is kept as an empty row (for silver's
    rules to quarantine) and named, like any line that is not a JSON object; no row is lost.
    Both readers: the Arrow one (a UTF-8 block) and Python's (a block that is not UTF-8)."""
    lines = [
        b'{"event_id":"e1","amount":"1"}',
        b'{"event_id":"\\ud800","amount":"2"}',
        b'{"event_id":"e3","payload":{"s":"\\udfff"}}',
        b'{"event_id":"e4","other":"\\ud800"}',  # an undeclared key: not kept, no harm
        b'{"event_id":"e5","amount":"\\ud83d\\ude00"}',  # a pair: one character, kept
        b'{"event_id":"e6"}' if utf8 else b'{"event_id":"\xff"}',
    ]
    (folder(settings) / "events_1.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = ingest(settings, tables["events"])
    got = [
        (r["event_id"], r["amount"], r["_source_row"])
        for r in bronze_rows(settings, tables["events"])
    ]
    assert got == [
        ("e1", "1", 1),
        (None, None, 2),
        (None, None, 3),
        ("e4", None, 4),
        ("e5", "\U0001f600", 5),
        ("e6", None, 6) if utf8 else (None, None, 6),
    ]
    assert result.landing_rows == 6
    bad = 2 if utf8 else 3
    assert any(
        f"events_1.jsonl: {bad} line(s) are not JSON objects (the first is row 2" in w
        for w in result.warnings
    )


def test_compact_lines_are_cut_without_a_json_parser() -> None:
    """The file's common line fits its shape's regex (and so skips pyarrow.json and Python);
    a line with blanks, a backslash or another key order does not."""
    import numpy as np

    from lakeconsole.core.blocks.landing_jsonl_shape import fits, shape_of

    shape = shape_of(b'{"event_id":"e1","amount":12.5,"payload":{"item_id":"I1","qty":1}}')
    assert shape is not None
    lines = pa.array(
        [
            '{"event_id":"e2","amount":-3,"payload":{}}',
            '{"event_id":"e3","amount":1,"payload":{"a":"b","c":true,"d":null,"e":0.5}}',
            '{"event_id": "e4","amount":1,"payload":{}}',
            '{"event_id":"e\\"5","amount":1,"payload":{}}',
            '{"amount":1,"event_id":"e6","payload":{}}',
            '{"event_id":"e7","amount":1,"payload":{"a":{}}}',
        ]
    )
    assert fits(lines, shape).tolist() == [True, True, False, False, False, False]
    assert shape_of(b'{"a":1,"a":2}') is None and shape_of(b"[1]") is None
    assert np.asarray(fits(pa.array(['{"event_id":"x","amount":1e5,"payload":{}}']), shape)).all()


@pytest.mark.parametrize(
    "line",
    [
        b'{"event_id":"e1","payload":[null,"x"]}',
        b'{"event_id":"e1","payload":{"d":[null,2]}}',
    ],
)
def test_a_list_that_starts_with_null_is_read_as_python_reads_it_not_a_crash(line: bytes) -> None:
    """pyarrow.json builds an array it cannot use for such a list (offsets past its values):
    the block is read by Python instead, with the same text."""
    from lakeconsole.core.blocks.landing_jsonl import BadLines, _fast, _line_by_line
    from lakeconsole.core.blocks.landing_jsonl_fast import Columns

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    block = line + b"\n" + b'{"event_id":"e2","payload":[1]}\n'
    fast = _fast(block, Columns(COLUMNS), schema, 0, BadLines())
    slow = _line_by_line(block, COLUMNS, schema, 0, BadLines())
    assert fast is None or fast.to_pylist() == slow.to_pylist()
    assert slow.column(COLUMNS.index("payload")).to_pylist()[0] == json.dumps(
        json.loads(line)["payload"], separators=(",", ":")
    )
