"""Gold mart `sales`: the numbers, affected-dates-only rewrites, the README, the version."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pyarrow as pa
import pytest

from lakeconsole.core.api import GoldTable
from lakeconsole.core.blocks.gold import mart_dir
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.core.tables import TableSpec
from lakeconsole.pipelines.sales import pipeline as sales
from tests.sales_fixtures import line, rows, run, table, write_csv

GOLD = sales.declared["gold/sales/daily_revenue"]
assert isinstance(GOLD, GoldTable)
GOLD_DAILY_REVENUE = GOLD.spec
DAILY_REVENUE = GOLD.compute


def test_daily_revenue_equals_a_hand_computed_example(settings: Settings) -> None:
    write_csv(
        settings,
        "f1.csv",
        [
            line(
                "A1",
                "1",
                "2024-03-01T10:00:00Z",
                product_id="P1",
                price="10.00",
                qty="2",
                tax="4.00",
            ),
            line(
                "A1",
                "2",
                "2024-03-01T10:00:00Z",
                product_id="P2",
                price="5.50",
                qty="1",
                tax="1.10",
            ),
            # 23:30 at UTC-2 is 01:30 UTC the next day.
            line(
                "A2",
                "1",
                "2024-03-01T23:30:00-02:00",
                product_id="P1",
                price="7.25",
                qty="4",
                tax="2.90",
            ),
            line(
                "A3",
                "1",
                "2024-03-01T12:00:00Z",
                product_id="P1",
                price="10.00",
                qty="1",
                tax="2.00",
            ),
            line(
                "A4", "1", "2024-03-01T12:00:00Z", product_id="P1", price="abc", qty="1", tax="2.00"
            ),
            line(
                "A5",
                "1",
                "2024-03-01T13:00:00Z",
                product_id="P1",
                region="south",
                price="1.00",
                qty="1",
                tax="0.10",
            ),
        ],
    )
    write_csv(
        settings,
        "f2.csv",
        [  # A3 re-sent with another qty: it replaces the first one
            line(
                "A3",
                "1",
                "2024-03-01T12:00:00Z",
                product_id="P1",
                price="10.00",
                qty="3",
                tax="6.00",
            ),
        ],
    )
    run(settings)
    got = {
        (str(r["order_date"]), r["region"], r["product_id"]): r
        for r in rows(settings, GOLD_DAILY_REVENUE.name)
    }
    assert set(got) == {
        ("2024-03-01", "north", "P1"),
        ("2024-03-01", "north", "P2"),
        ("2024-03-02", "north", "P1"),
        ("2024-03-01", "south", "P1"),
    }

    def figures(key: tuple[str, str, str]) -> tuple[Decimal, Decimal, Decimal, int, int]:
        r = got[key]
        return r["gross_revenue"], r["tax"], r["net_revenue"], r["order_count"], r["line_count"]

    # A1 line 1 (10.00 × 2, tax 4.00) + A3 as re-sent (10.00 × 3, tax 6.00); A4 is quarantined.
    assert figures(("2024-03-01", "north", "P1")) == (
        Decimal("50.00"),
        Decimal("10.00"),
        Decimal("40.00"),
        2,
        2,
    )
    assert figures(("2024-03-01", "north", "P2")) == (
        Decimal("5.50"),
        Decimal("1.10"),
        Decimal("4.40"),
        1,
        1,
    )
    assert figures(("2024-03-02", "north", "P1")) == (
        Decimal("29.00"),
        Decimal("2.90"),
        Decimal("26.10"),
        1,
        1,
    )
    assert figures(("2024-03-01", "south", "P1")) == (
        Decimal("1.00"),
        Decimal("0.10"),
        Decimal("0.90"),
        1,
        1,
    )


def test_an_order_with_two_lines_of_one_product_counts_once_in_order_count(
    settings: Settings,
) -> None:
    # B1 buys P1 on two lines (and P2 on a third); B2 buys P1 once: P1 has 3 lines of 2 orders.
    write_csv(
        settings,
        "f1.csv",
        [
            line("B1", "1", product_id="P1", price="10.00", qty="2", tax="1.00"),
            line("B1", "2", product_id="P1", price="0.05", qty="3", tax="0.01"),
            line("B1", "3", product_id="P2", price="7.00", qty="1", tax="0.70"),
            line("B2", "1", product_id="P1", price="99.99", qty="1", tax="9.99"),
        ],
    )
    run(settings)
    got = {r["product_id"]: r for r in rows(settings, GOLD_DAILY_REVENUE.name)}

    p1 = got["P1"]
    assert (p1["order_count"], p1["line_count"]) == (2, 3)
    # 10.00 × 2 + 0.05 × 3 + 99.99 × 1, taxes 1.00 + 0.01 + 9.99: exact to the cent.
    assert (p1["gross_revenue"], p1["tax"], p1["net_revenue"]) == (
        Decimal("120.14"),
        Decimal("11.00"),
        Decimal("109.14"),
    )
    assert (got["P2"]["order_count"], got["P2"]["line_count"]) == (1, 1)


def test_only_the_dates_a_new_file_touches_are_rewritten(settings: Settings) -> None:
    write_csv(
        settings,
        "f1.csv",
        [
            line("A1", order_ts="2024-03-01T10:00:00Z"),
            line("A2", order_ts="2024-03-02T10:00:00Z"),
            line("A3", order_ts="2024-03-03T10:00:00Z"),
        ],
    )
    run(settings)
    before = {r["order_date"]: r for r in rows(settings, GOLD_DAILY_REVENUE.name)}
    write_csv(settings, "f2.csv", [line("B1", order_ts="2024-03-02T18:00:00Z", qty="2")])
    outcome = run(settings)

    assert outcome.results["gold_daily_revenue"].details["dates_rewritten"] == 1
    last = table(settings, GOLD_DAILY_REVENUE.name).history(1)[0]
    assert last["operation"] == "WRITE"
    assert "2024-03-02" in last["operationParameters"]["predicate"]
    assert "2024-03-01" not in last["operationParameters"]["predicate"]
    assert last["operationMetrics"]["num_removed_files"] == 1
    after = {r["order_date"]: r for r in rows(settings, GOLD_DAILY_REVENUE.name)}
    assert after[next(d for d in after if str(d) == "2024-03-02")]["line_count"] == 2
    assert {d: r for d, r in after.items() if str(d) != "2024-03-02"} == {
        d: r for d, r in before.items() if str(d) != "2024-03-02"
    }


def test_a_date_recomputed_to_the_same_numbers_is_not_rewritten(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1", qty="2")])
    run(settings)
    version = table(settings, GOLD_DAILY_REVENUE.name).version()
    write_csv(settings, "f2.csv", [line("A1", qty="2")])  # the same line again, from another file
    outcome = run(settings)
    assert outcome.results["gold_daily_revenue"].details["dates_recomputed"] == 1
    assert table(settings, GOLD_DAILY_REVENUE.name).version() == version


def test_the_mart_readme_is_written_once_and_never_overwritten(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1")])
    run(settings)
    readme = mart_dir(settings.data_dir, "sales") / "README.md"
    text = readme.read_text()
    for section in ("## Business Definition", "## Owner", "## Refresh Rate", "(Price × Qty) − Tax"):
        assert section in text
    assert not (settings.data_dir / GOLD_DAILY_REVENUE.name / "README.md").exists()
    # The column dictionary is generated from the table's schema, once, not twice.
    assert "| `net_revenue` | decimal(20,2) |" in text and text.count("<!-- columns:start -->") == 1
    readme.write_text("# Mine\n")
    write_csv(settings, "f2.csv", [line("A2")])
    run(settings)
    assert readme.read_text() == "# Mine\n"


def test_gold_commits_carry_the_schema_version(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1")])
    run(settings)
    dt = table(settings, GOLD_DAILY_REVENUE.name)
    assert dt.metadata().configuration["lakeconsole.schema_version"] == GOLD_DAILY_REVENUE.version
    assert dt.metadata().partition_columns == ["order_date"]
    for entry in dt.history():
        assert json.loads(entry["userMetadata"]) == {"version": GOLD_DAILY_REVENUE.version}


def _without_line_count(version: str) -> TableSpec:
    columns = tuple(c for c in GOLD_DAILY_REVENUE.columns if c.name != "line_count")
    return replace(GOLD_DAILY_REVENUE, columns=columns, version=version)


def _declare_without_line_count(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """The gold declaration edited: line_count gone from its columns and from its function."""
    compute = DAILY_REVENUE
    assert compute is not None
    monkeypatch.setattr(GOLD, "spec", _without_line_count(version))
    monkeypatch.setattr(
        GOLD, "compute", lambda ctx, changed: compute(ctx, changed).drop_columns(["line_count"])
    )


def test_dropping_a_gold_column_needs_a_major_bump_then_rebuilds_gold(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(settings, "f1.csv", [line("A1"), line("A2", order_ts="2024-03-05T10:00:00Z")])
    run(settings)
    before = table(settings, GOLD_DAILY_REVENUE.name).version()

    _declare_without_line_count(monkeypatch, "1.1.0")
    refused = run_pipeline(load_pipeline(), settings)
    assert refused.status == RunStatus.FAILED
    assert "OPS-06" in (refused.error or "") and "major" in (refused.error or "")
    assert table(settings, GOLD_DAILY_REVENUE.name).version() == before

    _declare_without_line_count(monkeypatch, "2.0.0")
    run(settings)
    dt = table(settings, GOLD_DAILY_REVENUE.name)
    assert "line_count" not in pa.schema(dt.schema().to_arrow()).names
    assert len(rows(settings, GOLD_DAILY_REVENUE.name)) == 2
    assert dt.metadata().configuration["lakeconsole.schema_version"] == "2.0.0"
    assert json.loads(dt.history(1)[0]["userMetadata"]) == {"version": "2.0.0"}
