"""Silver's timestamp parsing: the quick path (Arrow's ISO 8601 cast) and the general one agree."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.blocks.casts import TS_SHAPE, _parse_shaped, parse_timestamps

DAYS = [
    "2024-01-10",
    "2024-02-29",
    "2023-02-29",
    "2000-02-29",
    "1900-02-29",
    "2024-02-30",
    "2024-04-30",
    "2024-04-31",
    "2024-12-31",
    "2024-13-01",
    "2024-00-10",
]
TIMES = ["00:05:29", "23:59:59", "23:59:60", "24:00:00", "12:60:00"]
KEY = ("order_id", "line_no")
FRACTIONS = ["", ".5", ".123456"]
ZONES = ["", "Z", "+01:00", "-0130", "+14:00", "+23:59", "-24:00"]


def _general(values: list[str]) -> list[object]:
    text = pa.array(values)
    shaped = pc.fill_null(pc.match_substring_regex(text, TS_SHAPE), False)
    return _parse_shaped(text, shaped).to_pylist()


def test_every_shape_parses_the_same_both_ways() -> None:
    values = [
        f"{day}{sep}{time}{fraction}{zone}"
        for day, sep, time, fraction, zone in itertools.product(
            DAYS, ["T", " "], TIMES, FRACTIONS, ZONES
        )
    ]
    # One by one (a batch with one odd value takes the general way for all of it) and together.
    for value in values:
        assert parse_timestamps(pa.array([value, None, "nonsense"])).to_pylist() == _general(
            [value, None, "nonsense"]
        ), value
    assert parse_timestamps(pa.array(values)).to_pylist() == _general(values)


def test_a_batch_in_chunks_with_an_impossible_date_parses_the_same() -> None:
    """Bronze's batches come in chunks: the values surely real are cast at once, the others
    (an impossible date, no zone) decided apart, each in its place."""
    chunks = [["2024-03-01T00:00:46Z", "2024-02-30T25:61:00Z"], [None, "2024-02-29 10:00:00"]]
    got = parse_timestamps(pa.chunked_array(chunks, pa.string()))
    assert got.to_pylist() == _general([v for c in chunks for v in c])
    assert got.null_count == 2


def test_a_clean_batch_takes_arrows_cast_and_keeps_utc() -> None:
    got = parse_timestamps(pa.array(["2024-01-10T00:05:29Z", "2024-01-10T01:05:29+01:00", "x"]))
    assert got.type == pa.timestamp("us", tz="UTC")
    assert [v.isoformat() if v else None for v in got.to_pylist()] == [
        "2024-01-10T00:05:29+00:00",
        "2024-01-10T00:05:29+00:00",
        None,
    ]


def test_whole_numbers_follow_the_rule_whichever_way_they_are_read() -> None:
    from lakeconsole.core.blocks.casts import to_int as _to_int

    clean_batch = ["1", "007", "-3", "123456789012345678"]
    assert _to_int(pa.array(clean_batch)).to_pylist() == [1, 7, -3, 123456789012345678]
    # One value Arrow's cast refuses, or one longer than the rule's 18 digits: value by value.
    assert _to_int(pa.array(["+5", "1", "", "1.0"])).to_pylist() == [5, 1, None, None]
    assert _to_int(pa.array(["1234567890123456789", "2"])).to_pylist() == [None, 2]


def _lines(keys: list[tuple[str, int]]) -> pa.Table:
    n = len(keys)
    return pa.table(
        {
            "order_id": [k[0] for k in keys],
            "line_no": pa.array([k[1] for k in keys], pa.int64()),
            "_ingested_at": pa.array([1] * n, pa.int64()),
            "_source_row": pa.array(range(1, n + 1), pa.int64()),
        }
    )


def test_keep_latest_sorts_by_key_and_keeps_the_last_line() -> None:
    from lakeconsole.core.blocks.cleaning import keep_latest

    unique = _lines([("B", 1), ("A", 2), ("A", 1)])
    assert keep_latest(unique, KEY) == (unique, 0)  # no key twice: kept as it is
    live, lost = keep_latest(_lines([("B", 1), ("A", 2), ("A", 1), ("B", 1)]), KEY)
    assert lost == 1
    assert list(zip(live["order_id"].to_pylist(), live["line_no"].to_pylist(), strict=True)) == [
        ("A", 1),
        ("A", 2),
        ("B", 1),
    ]
    assert live["_source_row"].to_pylist() == [3, 2, 4]  # the later B1 line won


def test_keep_latest_finds_duplicates_whatever_the_line_numbers() -> None:
    from lakeconsole.core.blocks.cleaning import keep_latest

    big = 1 << 21  # beyond what the quick check packs: the sort decides
    live, lost = keep_latest(_lines([("A", big), ("B", 1), ("A", big)]), KEY)
    assert (live.num_rows, lost) == (2, 1)
    live, lost = keep_latest(_lines([("A", 1), ("B", 1), ("A", 1), ("A", 2)]), KEY)
    assert (live.num_rows, lost) == (3, 1)
