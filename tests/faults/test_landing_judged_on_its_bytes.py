"""A landing file is only ever judged bad on the bytes its content hash names: one emptied, cut
short or still being written while bronze reads it is left for the next run, never recorded as
rejected under the hash of its good bytes (issue 13, item 2, reviewer's follow-up)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from lakeconsole.core.faults import at_point
from lakeconsole.core.settings import Settings
from tests.faults.test_landing_changed_while_read import BIG, changed_warning, lines, once
from tests.sales_fixtures import HEADER, count, line, rows, run, write_csv
from tests.sales_tables import BRONZE_ORDERS, QUARANTINE_FILES, SILVER_ORDERS


def rejected(settings: Settings) -> dict[str, str]:
    return {r["file"]: r["content_hash"] for r in rows(settings, QUARANTINE_FILES.name)}


def live_ids(settings: Settings) -> set[str]:
    return {r["order_id"] for r in rows(settings, SILVER_ORDERS.name)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_emptied_before_bronze_reads_it_is_left_for_the_next_run_then_ingested(
    settings: Settings,
) -> None:
    write_csv(settings, "aa.csv", [line("K1")])
    path = write_csv(settings, "zz.csv", lines("Z", 2000))
    good = path.read_bytes()

    # aa.csv is read first; by then zz.csv was hashed (good bytes) and is now emptied.
    with at_point("bronze.before_read", once(lambda: path.write_bytes(b""))):
        first = run(settings)

    assert first.warnings == [changed_warning("zz.csv")]
    assert rejected(settings) == {}
    path.write_bytes(good)  # the upload is sent again
    second = run(settings)
    assert second.warnings == []
    assert second.records_processed == 2000
    assert live_ids(settings) == {"K1"} | {f"Z{i}" for i in range(2000)}


def test_a_file_rewritten_with_its_own_bytes_while_bronze_reads_it_loses_no_row(
    settings: Settings,
) -> None:
    path = write_csv(settings, "orders.csv", lines("R", BIG))
    good = path.read_bytes()

    def cat_half_done() -> None:  # `cat copy > orders.csv`, caught half-way: cut mid-line
        path.write_bytes(good[: len(good) // 2])

    with at_point("bronze.mid_read", once(cat_half_done)):
        first = run(settings)

    assert first.warnings == [changed_warning("orders.csv")]
    assert rejected(settings) == {}
    assert count(settings, BRONZE_ORDERS.name) == 0
    path.write_bytes(good)  # cat finishes
    second = run(settings)
    assert second.warnings == []
    assert second.records_processed == BIG
    assert live_ids(settings) == {f"R{i}" for i in range(BIG)}


def test_a_file_still_being_written_mid_line_is_left_for_the_next_run_not_rejected(
    settings: Settings,
) -> None:
    path = write_csv(settings, "growing.csv", lines("G", BIG))
    more = ("\n".join(lines("MORE", 10)) + "\n").encode()

    def next_chunk() -> None:  # a writer's chunk ends in the middle of a row
        with path.open("ab") as fh:
            fh.write(more[:25])

    with at_point("bronze.mid_read", once(next_chunk)):
        first = run(settings)

    assert first.warnings == [changed_warning("growing.csv")]
    assert rejected(settings) == {}
    with path.open("ab") as fh:
        fh.write(more[25:])
    second = run(settings)
    assert second.warnings == []
    assert second.records_processed == BIG + 10
    assert rejected(settings) == {}


def test_a_file_bad_past_its_first_read_is_still_rejected_under_its_own_hash(
    settings: Settings,
) -> None:
    path = write_csv(settings, "bad.csv", [*lines("B", BIG), "B-short,1,2"])

    outcome = run(settings)

    assert rejected(settings) == {"bad.csv": sha256(path)}
    assert any(w.startswith("landing file bad.csv was not ingested: ") for w in outcome.warnings)
    assert run(settings).results["bronze_ingest"].details["files_rejected"] == 1  # not re-read


def test_a_file_that_vanishes_before_it_is_read_is_not_counted_as_ingested(
    settings: Settings,
) -> None:
    write_csv(settings, "aa.csv", [line("K1")])
    path = write_csv(settings, "zz.csv", [line("Z1")])

    with at_point("bronze.before_read", once(lambda: os.remove(path))):
        outcome = run(settings)

    assert outcome.warnings == ["landing file zz.csv vanished before it was read: skipped"]
    details = outcome.results["bronze_ingest"].details
    assert (details["files_new"], details["files_ingested"]) == (2, 1)
    assert details["entries_skipped"] == 1


def test_a_header_only_file_is_still_rejected_under_its_own_hash(settings: Settings) -> None:
    path = settings.data_dir / "landing" / "header_only.csv"
    path.write_text(HEADER + "\n")

    outcome = run(settings)

    assert rejected(settings) == {"header_only.csv": sha256(path)}
    assert any("empty file: a header but no data rows" in w for w in outcome.warnings)
