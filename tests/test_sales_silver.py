"""Silver: validation to quarantine, dedupe keeping the latest, MERGE, row accounting, batches."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from decimal import Decimal

import pyarrow as pa
import pytest

from lakeconsole.core.blocks import silver as silver_block
from lakeconsole.core.events import Event, RunStatus, StepProgress
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.pipelines.sales.demo import write_demo
from tests.sales_fixtures import (
    count,
    line,
    rows,
    run,
    snapshot,
    state_file,
    table,
    versions,
    write_csv,
)
from tests.sales_tables import (
    BRONZE_ORDERS,
    GOLD_DAILY_REVENUE,
    QUARANTINE_ROWS,
    SILVER_ORDERS,
)

MALFORMED = {
    "order_id_missing": line(order_id=""),
    "line_no_invalid": line("A1", line_no="0"),
    "order_ts_unparseable": line("A2", order_ts="2024-02-30 25:61"),
    "customer_id_missing": line("A3", customer_id=" "),
    "product_id_missing": line("A4", product_id=""),
    "region_missing": line("A5", region=""),
    "price_not_a_number": line("A6", price="n/a"),
    "price_negative": line("A7", price="-1.00"),
    "qty_not_an_integer": line("A8", qty="1.5"),
    "qty_not_positive": line("A9", qty="-3"),
    "tax_not_a_number": line("B1", tax='"12,50"'),
    "tax_negative": line("B2", tax="-0.01"),
    "currency_invalid": line("B3", currency="EURO"),
}


def test_each_malformed_kind_is_quarantined_with_its_rule(settings: Settings) -> None:
    write_csv(settings, "bad_lines.csv", [*MALFORMED.values(), line("OK1")])
    run(settings)
    quarantined = {r["_source_row"]: r for r in rows(settings, QUARANTINE_ROWS.name)}
    for row_number, rule in enumerate(MALFORMED, start=1):
        assert quarantined[row_number]["rule"] == rule
        assert quarantined[row_number]["_source_file"] == "bad_lines.csv"
    assert "'n/a' is not a number" in quarantined[7]["detail"]
    assert [r["order_id"] for r in rows(settings, SILVER_ORDERS.name)] == ["OK1"]


def test_casts_timestamps_to_utc_money_to_decimals_counts_to_integers(settings: Settings) -> None:
    write_csv(
        settings,
        "a.csv",
        [
            line("A1", order_ts="2024-03-01T23:30:00-02:00", price="7.5", qty="+4"),
            line("A2", order_ts="2024-03-01 08:00:00.25", currency="eur"),
        ],
    )
    run(settings)
    live = {r["order_id"]: r for r in rows(settings, SILVER_ORDERS.name)}
    assert live["A1"]["order_ts"].isoformat() == "2024-03-02T01:30:00+00:00"
    assert str(live["A1"]["order_date"]) == "2024-03-02"
    assert (live["A1"]["price"], live["A1"]["qty"]) == (Decimal("7.50"), 4)
    assert live["A2"]["order_ts"].isoformat() == "2024-03-01T08:00:00.250000+00:00"
    assert live["A2"]["currency"] == "EUR"
    schema = pa.schema(table(settings, SILVER_ORDERS.name).schema().to_arrow())
    assert schema.field("order_ts").type == pa.timestamp("us", tz="UTC")
    assert schema.field("price").type == pa.decimal128(18, 2)


def test_a_resent_line_in_a_later_file_replaces_the_earlier_one(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1", qty="1"), line("A2", qty="1")])
    write_csv(settings, "f2.csv", [line("A1", qty="7")])
    run(settings)
    live = {r["order_id"]: r for r in rows(settings, SILVER_ORDERS.name)}
    assert (live["A1"]["qty"], live["A1"]["_source_file"]) == (7, "f2.csv")
    assert live["A2"]["qty"] == 1


def test_a_resent_line_in_a_later_run_replaces_the_earlier_one(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1", qty="1")])
    run(settings)
    write_csv(settings, "f2.csv", [line("A1", qty="9")])
    outcome = run(settings)
    assert [r["qty"] for r in rows(settings, SILVER_ORDERS.name)] == [9]
    assert outcome.results["silver_orders"].details["updated"] == 1


def test_within_one_file_the_last_line_of_a_key_wins(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1", qty="1"), line("A1", qty="2")])
    outcome = run(settings)
    assert [r["qty"] for r in rows(settings, SILVER_ORDERS.name)] == [2]
    assert outcome.results["silver_orders"].details["duplicates_superseded"] == 1


def test_every_landing_row_is_live_superseded_or_quarantined(settings: Settings) -> None:
    written = write_demo(settings.data_dir / "landing", rows=6000, files=3, seed=3)
    outcome = run(settings)
    details = outcome.results["silver_orders"].details
    landing_rows = sum(f.rows for f in written)
    live = count(settings, SILVER_ORDERS.name)
    quarantined = count(settings, QUARANTINE_ROWS.name)
    superseded = details["duplicates_superseded"] + details["updated"]
    assert outcome.records_processed == landing_rows
    assert live + superseded + quarantined == landing_rows
    assert quarantined == sum(f.malformed for f in written)
    assert superseded == sum(f.resent for f in written)


def test_small_batches_give_the_same_silver_as_one_batch(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    write_demo(settings.data_dir / "landing", rows=5000, files=2, seed=5)
    run(settings)
    other = replace(
        settings, data_dir=tmp_path_factory.mktemp("batched") / "data", silver_batch_rows=1000
    )
    write_demo(other.data_dir / "landing", rows=5000, files=2, seed=5)
    outcome = run(other)
    assert outcome.results["silver_orders"].details["batches"] >= 5
    assert rows(other, SILVER_ORDERS.name) == rows(settings, SILVER_ORDERS.name)
    assert rows(other, QUARANTINE_ROWS.name) == rows(settings, QUARANTINE_ROWS.name)


def test_one_batch_cleaned_in_two_halves_keeps_the_last_line_of_a_key_across_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run of one batch is read and cleaned as two halves (silver.SPLIT_ROWS; 20k lines in
    # use): A1's first line is in the first half, its re-sent line in the second.
    monkeypatch.setattr(silver_block, "SPLIT_ROWS", 2)
    filler = [line(f"B{i}") for i in range(4)]
    write_csv(settings, "f1.csv", [line("A1", qty="1"), *filler, line("A1", qty="2")])
    outcome = run(settings)
    live = {r["order_id"]: r["qty"] for r in rows(settings, SILVER_ORDERS.name)}
    assert live == {"A1": 2, **{f"B{i}": 1 for i in range(4)}}
    details = outcome.results["silver_orders"].details
    assert (details["batches"], details["duplicates_superseded"]) == (1, 1)


def test_one_batch_in_halves_gives_the_same_tables_as_in_one_part(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_demo(settings.data_dir / "landing", rows=6000, files=1, seed=9)
    whole = run(settings).results["silver_orders"].details
    monkeypatch.setattr(silver_block, "SPLIT_ROWS", 2)
    other = replace(settings, data_dir=tmp_path_factory.mktemp("halves") / "data")
    write_demo(other.data_dir / "landing", rows=6000, files=1, seed=9)
    halves = run(other).results["silver_orders"].details
    assert halves == whole
    assert rows(other, SILVER_ORDERS.name) == rows(settings, SILVER_ORDERS.name)
    assert rows(other, QUARANTINE_ROWS.name) == rows(settings, QUARANTINE_ROWS.name)


def test_silver_and_quarantine_commits_carry_the_schema_version(settings: Settings) -> None:
    write_csv(settings, "a.csv", [line("A1"), line("", qty="x")])
    run(settings)
    for spec in (SILVER_ORDERS, QUARANTINE_ROWS):
        dt = table(settings, spec.name)
        assert dt.metadata().configuration["lakeconsole.schema_version"] == spec.version
        for entry in dt.history():
            assert json.loads(entry["userMetadata"]) == {"version": spec.version}, entry[
                "operation"
            ]


def test_silver_is_partitioned_by_order_date(settings: Settings) -> None:
    write_csv(
        settings,
        "a.csv",
        [line("A1", order_ts="2024-01-05T00:00:00Z"), line("A2", order_ts="2024-02-05T00:00:00Z")],
    )
    run(settings)
    folders = sorted(
        p.name for p in (settings.data_dir / SILVER_ORDERS.name).iterdir() if p.name[0] != "_"
    )
    assert folders == ["order_date=2024-01-05", "order_date=2024-02-05"]
    assert count(settings, BRONZE_ORDERS.name) == 2


def test_a_line_resent_with_another_order_date_moves_to_that_day(settings: Settings) -> None:
    write_csv(
        settings, "f1.csv", [line("A1", order_ts="2024-03-01T10:00:00Z", qty="1"), line("A2")]
    )
    run(settings)
    write_csv(settings, "f2.csv", [line("A1", order_ts="2024-03-05T10:00:00Z", qty="2")])
    outcome = run(settings)

    a1 = [r for r in rows(settings, SILVER_ORDERS.name) if r["order_id"] == "A1"]
    assert [(str(r["order_date"]), r["qty"]) for r in a1] == [("2024-03-05", 2)]
    silver = outcome.results["silver_orders"]
    assert silver.details["updated"] == 1 and silver.details["moved_to_another_day"] == 1
    assert silver.records_out == 1  # the moved line is one row written, not two
    gold = {
        (str(r["order_date"]), r["line_count"]) for r in rows(settings, GOLD_DAILY_REVENUE.name)
    }
    assert gold == {("2024-03-01", 1), ("2024-03-05", 1)}  # A2 stays on 1 March

    write_csv(settings, "f3.csv", [line("A2", order_ts="2024-03-05T11:00:00Z")])
    run(settings)
    gold = {
        (str(r["order_date"]), r["line_count"]) for r in rows(settings, GOLD_DAILY_REVENUE.name)
    }
    assert gold == {("2024-03-05", 2)}  # 1 March has no order left


def test_replaying_bronze_after_a_key_moved_day_changes_nothing(settings: Settings) -> None:
    small = replace(settings, silver_batch_rows=1000)
    first = [line(f"B{i}", order_ts="2024-03-02T10:00:00Z") for i in range(999)]
    write_csv(small, "f1.csv", [*first, line("A1", order_ts="2024-03-01T10:00:00Z")])
    write_csv(small, "f2.csv", [line("A1", order_ts="2024-03-05T10:00:00Z", qty="2")])
    run(small)
    contents, tables = snapshot(small), versions(small)
    state_file(small, "silver_watermark").unlink()  # silver replays all of bronze

    outcome = run(small)

    assert outcome.results["silver_orders"].details["batches"] == 2
    assert snapshot(small) == contents
    assert versions(small) == tables


def _rows_updated(settings: Settings) -> int:
    """Rows silver's commits replaced, from the Delta history's operation metrics."""
    return sum(
        int((entry.get("operationMetrics") or {}).get("num_target_rows_updated", 0))
        for entry in table(settings, SILVER_ORDERS.name).history()
    )


def test_a_line_resent_within_one_run_is_written_once(settings: Settings) -> None:
    # Batches of one line: the re-sent A1 is in a later batch than the first A1.
    small = replace(settings, silver_batch_rows=1)
    write_csv(small, "f1.csv", [line("A1", qty="1"), line("A2", qty="1")])
    write_csv(small, "f2.csv", [line("A1", qty="7")])

    silver = run(small).results["silver_orders"]

    assert {r["order_id"]: r["qty"] for r in rows(small, SILVER_ORDERS.name)} == {"A1": 7, "A2": 1}
    assert silver.details["batches"] == 3
    assert (silver.details["updated"], silver.details["duplicates_superseded"]) == (0, 1)
    assert _rows_updated(small) == 0  # the older A1 never reached silver, so no rewrite


def test_an_invalid_resend_leaves_the_earlier_line_live(settings: Settings) -> None:
    small = replace(settings, silver_batch_rows=1)
    write_csv(small, "f1.csv", [line("A1", qty="3")])
    write_csv(small, "f2.csv", [line("A1", qty="-3")])
    run(small)
    assert [r["qty"] for r in rows(small, SILVER_ORDERS.name)] == [3]
    assert [r["rule"] for r in rows(small, QUARANTINE_ROWS.name)] == ["qty_not_positive"]


def test_a_run_cancelled_between_batches_resumes_where_it_stopped(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    small = replace(settings, silver_batch_rows=1000)
    written = write_demo(small.data_dir / "landing", rows=3000, files=3, seed=4)
    whole = replace(small, data_dir=tmp_path_factory.mktemp("whole") / "data")
    write_demo(whole.data_dir / "landing", rows=3000, files=3, seed=4)
    run(whole)
    landing_rows = sum(f.rows for f in written)

    cancel = threading.Event()
    read: list[int] = [0]

    def stop_after_two_batches(event: Event) -> None:
        if isinstance(event, StepProgress) and event.step == "silver_orders":
            read.append(event.done)
            if event.done >= 2000:
                cancel.set()

    first = run_pipeline(load_pipeline(), small, stop_after_two_batches, cancel_event=cancel)
    assert first.status == RunStatus.CANCELLED
    done_first = read[-1]

    second = run(small).results["silver_orders"].details

    assert 2000 <= done_first < landing_rows
    assert second["rows_read"] == landing_rows - done_first  # the done batches are not read again
    assert snapshot(small) == snapshot(whole)


def test_rows_done_by_an_unfinished_run_are_left_out() -> None:
    from lakeconsole.core.blocks.segments import _not_done

    assert _not_done(1, 10, []) == [(1, 10)]
    assert _not_done(1, 10, [(4, 6)]) == [(1, 3), (7, 10)]
    assert _not_done(1, 10, [(1, 3), (4, 10)]) == []
    assert _not_done(5, 10, [(1, 6), (9, 20)]) == [(7, 8)]
    assert _not_done(1, 10, [(12, 20)]) == [(1, 10)]
