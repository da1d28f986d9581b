"""`lakeconsole trace`: from a gold row to the silver rows behind it, each with the landing file
and line it came from, and the lines of the same keys that were superseded or quarantined.
Run through the real CLI on a declared pipeline that is not a shipped one
(tests/trace_pipeline.py), and on the shipped events pipeline for a key gold computes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder

PLANT = "tests.trace_pipeline:plant"
GOLD = "gold/plant/daily_site"
HEADER = "sensor_id,site,reading_ts,value\n"
FIRST = (
    "s1,north,2024-01-05T01:00:00Z,1.5\n"
    "s2,north,2024-01-05T02:00:00Z,2.0\n"
    "s3,south,2024-01-05T03:00:00Z,4.0\n"
    "s1,north,2024-01-06T01:00:00Z,7.0\n"
)
# A day later: s2's reading is re-sent corrected (it supersedes line 2 of the first file),
# s1's is re-sent with a value below zero (quarantined; the first file's line stays live), and a
# new reading of s4 below zero is quarantined: its key never reached silver, but it would have
# counted in the row of day 2024-01-05, site north.
SECOND = (
    "s2,north,2024-01-05T02:00:00Z,2.5\n"
    "s1,north,2024-01-05T01:00:00Z,-1\n"
    "s4,north,2024-01-05T04:00:00Z,-2\n"
)


@pytest.fixture
def plant(home: Path, env: dict[str, str], cli: Callable[..., Any]) -> Callable[..., Any]:
    """The plant lake after two runs (one landing file each); returns `trace(*args)`."""
    named = {**env, "LAKECONSOLE_PIPELINE": PLANT}
    landing = home / "data" / "landing"
    (landing / "readings_0001.csv").write_text(HEADER + FIRST)
    assert cli(["run"], env=named).returncode == 0
    (home / "first-gold-version").write_text(str(DeltaTable(str(home / "data" / GOLD)).version()))
    (landing / "readings_0002.csv").write_text(HEADER + SECOND)
    done = cli(["run"], env=named)
    assert done.returncode == 0, done.stderr
    return lambda *args: cli(["trace", *args], env=named)


def test_a_gold_row_lists_its_silver_rows_with_their_landing_lines(
    plant: Callable[..., Any], home: Path
) -> None:
    done = plant(GOLD, "day=2024-01-05", "site=north", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["row"]["readings"] == 2 and found["row"]["total"] == 4.0
    (silver,) = found["silver"]
    assert silver["table"] == "silver/readings" and silver["total"] == 2
    lines = [(r["_source_file"], r["_source_row"], r["value"]) for r in silver["rows"]]
    assert lines == [("readings_0001.csv", 1, 1.5), ("readings_0002.csv", 1, 2.5)]
    # Each file:row is the line a user opens in the landing file (row 1 = first after header).
    for file, row, value in lines:
        text = (home / "data" / "landing" / file).read_text().splitlines()[row]
        assert text.endswith(f",{value}")


def test_superseded_and_quarantined_lines_of_the_same_keys_are_listed(
    plant: Callable[..., Any],
) -> None:
    silver = json.loads(plant(GOLD, "day=2024-01-05", "site=north", "--json").stdout)["silver"][0]
    superseded = [
        (r["_source_file"], r["_source_row"], r["by_file"], r["by_row"])
        for r in silver["superseded"]
    ]
    assert superseded == [("readings_0001.csv", 2, "readings_0002.csv", 1)]
    quarantined = [(r["_source_file"], r["_source_row"], r["rule"]) for r in silver["quarantined"]]
    assert quarantined == [
        ("readings_0002.csv", 2, "value_too_low"),  # a line of a live key
        ("readings_0002.csv", 3, "value_too_low"),  # a line of this row, its key never live
    ]
    assert [r["sensor_id"] for r in silver["quarantined"]] == ["s1", "s4"]


def test_the_text_layout_shows_row_lines_then_superseded_and_quarantined(
    plant: Callable[..., Any],
) -> None:
    done = plant(GOLD, "day=2024-01-05", "site=north")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"{GOLD} version ")
    assert "readings 2 · total 4.0" in out
    assert "silver/readings where day=2024-01-05 site=north: 2 row(s), 1-2 shown" in out
    assert out.index("readings_0001.csv:1 ") < out.index("superseded in bronze/readings_raw")
    assert "readings_0001.csv:2  sensor_id=s2 reading_ts=2024-01-05" in out
    assert "replaced by readings_0002.csv:1" in out
    assert "quarantined in quarantine/readings_rejected: 2 line(s)" in out
    assert "value_too_low" in out


def test_a_page_of_silver_rows_names_the_next_one(plant: Callable[..., Any]) -> None:
    done = plant(GOLD, "day=2024-01-05", "site=north", "--limit", "1")
    assert "2 row(s), 1-1 shown" in done.stdout
    assert (
        f"next page: lakeconsole trace {GOLD} day=2024-01-05 site=north --offset 1" in done.stdout
    )
    second = plant(GOLD, "day=2024-01-05", "site=north", "--limit", "1", "--offset", "1")
    assert "readings_0002.csv:1 " in second.stdout and "readings_0001.csv:1 " not in second.stdout


def test_an_older_version_is_traced_against_the_lake_as_it_was(
    plant: Callable[..., Any], home: Path
) -> None:
    first = (home / "first-gold-version").read_text()
    found = json.loads(
        plant(GOLD, "day=2024-01-05", "site=north", "--version", first, "--json").stdout
    )
    assert found["version"] == int(first) and found["row"]["total"] == 3.5
    (silver,) = found["silver"]
    assert [(r["_source_file"], r["_source_row"]) for r in silver["rows"]] == [
        ("readings_0001.csv", 1),
        ("readings_0001.csv", 2),
    ]
    assert silver["superseded"] == [] and silver["quarantined"] == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            [GOLD, "day=2024-01-05"],
            f"{GOLD} is keyed by day, site: give site too",
        ),
        ([GOLD, "day=2024-01-05", "site=west"], "no row of gold/plant/daily_site"),
        ([GOLD, "day=2024-01-05", "place=north"], "has no column place; a row is named by its key"),
        ([GOLD, "day=someday", "site=north"], "'someday' is not a date"),
        (["gold/plant/peaks", "site=north"], "written by the custom step site_peaks"),
        (["silver/readings", "sensor_id=s1"], "a trace starts from a gold table"),
        (["gold/plant/nope", "site=north"], "No table 'gold/plant/nope'"),
        ([GOLD, "north"], "'north' is not KEY=VALUE"),
    ],
)
def test_what_cannot_be_traced_is_said_in_one_line(
    plant: Callable[..., Any], args: list[str], said: str
) -> None:
    done = plant(*args)
    assert done.returncode == 2
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_key_the_gold_function_computes_is_said_and_the_other_keys_trace(
    env: dict[str, str], cli: Callable[..., Any], home: Path
) -> None:
    named = {**env, "LAKECONSOLE_PIPELINE": "lakeconsole.pipelines.events:pipeline"}
    assert cli(["demo", "--rows", "600", "--files", "1"], env=named).returncode == 0
    assert cli(["run"], env=named).returncode == 0
    funnel = DeltaTable(str(home / "data" / "gold/product/daily_funnel"))
    day = (
        pa.table(
            QueryBuilder().register("g", funnel).execute("SELECT min(event_date) AS d FROM g")
        )["d"][0]
        .as_py()
        .isoformat()
    )
    done = cli(
        ["trace", "gold/product/daily_funnel", f"event_date={day}", "step=purchase", "--json"],
        env=named,
    )
    assert done.returncode == 0, done.stderr
    (silver,) = json.loads(done.stdout)["silver"]
    assert silver["unmatched"] == ["step"]
    assert "step is computed by the gold table's function" in silver["notes"][0]
    assert silver["total"] > 0 and {r["event_date"] for r in silver["rows"]} == {day}


# What a gold row counts, and how many silver rows must make it up.
COUNTED = {
    "gold/sales/daily_revenue": "line_count",
    "gold/product/daily_active_users": "events",
}


def test_every_shipped_gold_table_traces_to_the_silver_rows_it_counts(
    shipped: Any, cli: Callable[..., Any]
) -> None:
    """On both shipped pipelines (sales as CSV, events as JSON lines), the first row of each gold
    table traces to as many silver rows as it counts, each with its landing line."""
    assert cli(["demo", "--rows", "1500", "--files", "2"], env=shipped.env).returncode == 0
    assert cli(["run"], env=shipped.env).returncode == 0
    golds = [n for n, spec in shipped.declared.specs().items() if spec.layer == "gold"]
    for name in golds:
        spec = shipped.declared.specs()[name]
        first = sorted(shipped.rows(name), key=lambda r: [str(r[k]) for k in spec.key])[0]
        keys = [f"{k}={first[k]}" for k in spec.key]
        done = cli(["trace", name, *keys, "--json", "--limit", "100000"], env=shipped.env)
        assert done.returncode == 0, done.stderr
        (silver,) = json.loads(done.stdout)["silver"]
        if name in COUNTED:
            assert silver["total"] == first[COUNTED[name]]
        assert silver["total"] > 0
        assert all(r["_source_file"] and r["_source_row"] >= 1 for r in silver["rows"])


# Three landing files of one day at site north, each with a malformed line whose sensor id is
# empty (so every bronze file's smallest sensor_id is ''): s2 is re-sent twice, s3 once, s5's
# re-send is quarantined, s7's only line too (its site padded with spaces), and south and
# another day hold lines that are not this row's.
RESENT = [
    "s1,north,2024-01-05T01:00:00Z,1.0\n"
    ",north,2024-01-05T09:00:00Z,9.0\n"
    "s2,north,2024-01-05T02:00:00Z,2.0\n"
    "s3,north,2024-01-05T03:00:00Z,3.0\n"
    "s5,north,2024-01-05T05:00:00Z,5.0\n"
    "s9,south,2024-01-05T01:00:00Z,1.0\n",
    "s2,north,2024-01-05T02:00:00Z,2.5\n"
    ",north,2024-01-05T08:00:00Z,8.0\n"
    "s6,north,2024-01-06T06:00:00Z,6.0\n"
    "s7, north ,2024-01-05T07:00:00Z,-7\n",
    "s3,north,2024-01-05T03:00:00Z,3.5\n"
    ",south,2024-01-05T07:00:00Z,7.0\n"
    "s2,north,2024-01-05T02:00:00Z,2.75\n"
    "s5,north,2024-01-05T05:00:00Z,-5\n"
    "s9,south,2024-01-05T01:00:00Z,-1\n",
]


def _rows(path: Path, sql: str) -> list[dict[str, Any]]:
    return pa.table(QueryBuilder().register("t", DeltaTable(str(path))).execute(sql)).to_pylist()


def test_superseded_and_quarantined_lines_are_those_a_full_scan_finds(
    env: dict[str, str], cli: Callable[..., Any], home: Path
) -> None:
    """The trace reads bronze and quarantine through their statistics (files and row groups
    skipped) and filters on the key column first: it lists the same lines as reading every
    line of both tables, though '' is each bronze file's smallest key."""
    named = {**env, "LAKECONSOLE_PIPELINE": PLANT}
    for n, lines in enumerate(RESENT, start=1):
        (home / "data" / "landing" / f"readings_{n:04d}.csv").write_text(HEADER + lines)
        assert cli(["run"], env=named).returncode == 0
    done = cli(["trace", GOLD, "day=2024-01-05", "site=north", "--json"], env=named)
    assert done.returncode == 0, done.stderr
    (silver,) = json.loads(done.stdout)["silver"]

    data = home / "data"
    bronze = _rows(data / "bronze/readings_raw", "SELECT * FROM t")
    assert {r["sensor_id"] for r in bronze} >= {"", "s1"}  # the malformed lines are in bronze
    quarantine = _rows(data / "quarantine/readings_rejected", "SELECT * FROM t")
    live = {(r["sensor_id"], r["_source_file"], r["_source_row"]) for r in silver["rows"]}
    line = {(r["_source_file"], r["_source_row"]) for r in quarantine}
    winner = {sensor: (file, row) for sensor, file, row in live}
    expected = sorted(
        (r["_source_file"], r["_source_row"], *winner[r["sensor_id"]])
        for r in bronze
        if r["sensor_id"] in winner
        and (r["sensor_id"], r["_source_file"], r["_source_row"]) not in live
        and (r["_source_file"], r["_source_row"]) not in line
    )
    found = [
        (r["_source_file"], r["_source_row"], r["by_file"], r["by_row"])
        for r in silver["superseded"]
    ]
    assert (
        found
        == expected
        == [
            ("readings_0001.csv", 3, "readings_0003.csv", 3),
            ("readings_0001.csv", 4, "readings_0003.csv", 1),
            ("readings_0002.csv", 1, "readings_0003.csv", 3),
        ]
    )
    # Quarantined: the re-sent s5 (a live key), the malformed north lines of that day and s7's
    # (their keys never reached silver); not south's lines, not another day's.
    of_row = sorted(
        (r["_source_file"], r["_source_row"])
        for r in quarantine
        if r["site"].strip() == "north" and r["reading_ts"].startswith("2024-01-05")
    )
    listed = [(r["_source_file"], r["_source_row"]) for r in silver["quarantined"]]
    assert listed == of_row
    assert listed == [
        ("readings_0001.csv", 2),
        ("readings_0002.csv", 2),
        ("readings_0002.csv", 4),
        ("readings_0003.csv", 4),
    ]


def test_a_row_is_found_by_a_key_of_each_type(tmp_path: Path) -> None:
    """Gold keys may be of any declared type: each value reaches DataFusion as a literal it
    compares with the column (a date, a decimal, a timestamp with its zone, a quote in text)."""
    import datetime as dt
    from decimal import Decimal

    from deltalake import write_deltalake

    from lakeconsole.core.lineage.read import open_at, scan

    utc = dt.UTC
    rows = pa.table(
        {
            "day": pa.array([dt.date(2024, 1, 5), dt.date(2024, 1, 6)]),
            "at": pa.array(
                [dt.datetime(2024, 1, 5, 1, tzinfo=utc), dt.datetime(2024, 1, 5, 2, tzinfo=utc)],
                pa.timestamp("us", tz="UTC"),
            ),
            "name": ["o'brien", "smith"],
            "n": pa.array([1, 2], pa.int32()),
            "x": [1.5, 2.5],
            "ok": [True, False],
            "price": pa.array([Decimal("1.10"), Decimal("2.20")], pa.decimal128(18, 2)),
        }
    )
    write_deltalake(str(tmp_path / "t"), rows, partition_by=["day"])
    table = open_at(tmp_path / "t", None)
    for column in rows.column_names:
        for row in rows.to_pylist():
            found = scan(table, [(column, "==", pa.scalar(row[column]))])
            assert found.column(column).to_pylist() == [row[column]], column
    later = [("at", ">=", rows["at"][1]), ("name", "in", pa.array(["smith", "o'brien"]))]
    assert scan(table, later, ["name"]).to_pylist() == [{"name": "smith"}]
    assert scan(table, [("name", "in", pa.array([], pa.string()))]).num_rows == 0
