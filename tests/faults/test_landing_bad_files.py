"""A corpus of bad landing entries, each made here: none stops the run, none is skipped
silently, and every good file beside them is ingested in the same run (issue 13, items 5, 6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakeconsole.core.faults import at_point
from lakeconsole.core.settings import Settings
from tests.sales_fixtures import CLI, HEADER, count, landing, line, rows, run, write_csv
from tests.sales_tables import BRONZE_ORDERS, QUARANTINE_FILES, SILVER_ORDERS

NOT_UTF8 = b"caf\xe9.csv"  # Latin-1 "café.csv"
NOT_UTF8_SHOWN = "caf\\xe9.csv"


def rejected(settings: Settings) -> dict[str, str]:
    return {r["file"]: r["reason"] for r in rows(settings, QUARANTINE_FILES.name)}


def live_ids(settings: Settings) -> set[str]:
    return {r["order_id"] for r in rows(settings, SILVER_ORDERS.name)}


def test_a_file_with_cr_only_line_ends_is_ingested(settings: Settings) -> None:
    write_csv(settings, "old_mac.csv", [line("M1"), line("M2", qty="3")], newline="\r")
    outcome = run(settings)
    assert outcome.warnings == []
    assert live_ids(settings) == {"M1", "M2"}
    assert {r["order_id"]: r["qty"] for r in rows(settings, SILVER_ORDERS.name)}["M2"] == 3


def test_a_file_name_that_is_not_utf8_is_rejected_with_the_name_escaped(
    settings: Settings,
) -> None:
    write_csv(settings, "good.csv", [line("A1")])
    bad = os.path.join(os.fsencode(landing(settings)), NOT_UTF8)
    with open(bad, "wb") as fh:
        fh.write((HEADER + "\n" + line("B1") + "\n").encode())

    outcome = run(settings)

    assert live_ids(settings) == {"A1"}
    reason = rejected(settings)[NOT_UTF8_SHOWN]
    assert reason == "the file name is not valid UTF-8: rename it"
    assert any(
        w.startswith(f"landing file {NOT_UTF8_SHOWN} was not ingested: {reason}")
        for w in outcome.warnings
    )
    assert os.path.exists(bad)  # left in place


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file: nothing to refuse")
def test_a_file_nobody_may_read_is_rejected_and_every_other_file_ingested(
    settings: Settings,
) -> None:
    write_csv(settings, "good.csv", [line("A1")])
    locked = write_csv(settings, "locked.csv", [line("L1")])
    locked.chmod(0)
    try:
        outcome = run(settings)
        assert live_ids(settings) == {"A1"}
        assert rejected(settings)["locked.csv"].startswith("cannot be read: permission denied")
        assert any("locked.csv" in w for w in outcome.warnings)
    finally:
        locked.chmod(0o644)
    run(settings)
    assert live_ids(settings) == {"A1", "L1"}  # readable again: ingested on the next run


def test_a_file_that_fails_to_read_is_rejected_and_every_other_file_ingested(
    settings: Settings,
) -> None:
    # Root reads a mode-000 file, so the same per-file path is taken here by a read that fails
    # for anyone: /proc/self/mem is a regular file whose first bytes cannot be read (EIO).
    write_csv(settings, "good.csv", [line("A1")])
    (landing(settings) / "broken.csv").symlink_to("/proc/self/mem")
    outcome = run(settings)
    assert live_ids(settings) == {"A1"}
    reason = rejected(settings)["broken.csv"]
    assert reason == "cannot be read: input/output error: check the file"
    assert any(
        w.startswith(f"landing file broken.csv was not ingested: {reason}")
        for w in outcome.warnings
    )
    again = run(settings)  # tried again (and named again) on every run, recorded once
    assert any("broken.csv" in w for w in again.warnings)
    assert len(rows(settings, QUARANTINE_FILES.name)) == 1


@pytest.mark.parametrize("point", ["bronze.after_listing", "bronze.before_read"])
def test_a_file_deleted_between_listing_and_reading_is_skipped_with_a_warning(
    settings: Settings, point: str
) -> None:
    write_csv(settings, "a.csv", [line("A1")])
    gone = write_csv(settings, "gone.csv", [line("G1")])
    write_csv(settings, "z.csv", [line("Z1")])
    with at_point(point, lambda: gone.unlink(missing_ok=True)):
        outcome = run(settings)
    assert "landing file gone.csv vanished before it was read: skipped" in outcome.warnings
    assert live_ids(settings) == {"A1", "Z1"}
    assert "gone.csv" not in rejected(settings)  # nothing to record: it is not there


def test_a_valid_csv_with_an_8_mb_field_is_ingested(settings: Settings) -> None:
    huge = "x" * (8 << 20)
    write_csv(settings, "big_field.csv", [line("A1"), line("A2", customer_id=huge), line("A3")])
    outcome = run(settings)
    assert outcome.warnings == []
    assert count(settings, BRONZE_ORDERS.name) == 3
    by_id = {r["order_id"]: r for r in rows(settings, BRONZE_ORDERS.name)}
    assert len(by_id["A2"]["customer_id"]) == 8 << 20


def test_a_symlink_to_a_file_is_ingested_under_the_links_name(
    settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.csv"
    target.write_text(HEADER + "\n" + line("S1") + "\n")
    (landing(settings) / "linked.csv").symlink_to(target)
    outcome = run(settings)
    assert outcome.warnings == []
    assert {r["_source_file"] for r in rows(settings, BRONZE_ORDERS.name)} == {"linked.csv"}


def make_bad_entries(folder: Path, outside: Path) -> dict[str, str]:
    """Every entry bronze must skip, with the words its warning must hold."""
    (folder / "late").mkdir()
    (folder / "late" / "orders.csv").write_text(HEADER + "\n" + line("LATE1") + "\n")
    (folder / "folder.csv").mkdir()
    os.mkfifo(folder / "pipe.csv")
    (folder / "dangling.csv").symlink_to(outside / "missing.csv")
    (outside / "dir").mkdir()
    (folder / "to_dir.csv").symlink_to(outside / "dir")
    os.mkfifo(outside / "fifo")
    (folder / "to_fifo.csv").symlink_to(outside / "fifo")
    return {
        "late/": "a folder, not a landing file (1 entry inside is not read)",
        "folder.csv/": "a folder, not a landing file (empty)",
        "pipe.csv": "a named pipe (FIFO), not a landing file: it is never opened",
        "dangling.csv": f"a symbolic link to {outside / 'missing.csv'}, which does not exist",
        "to_dir.csv": "a symbolic link to a folder, not a landing file",
        "to_fifo.csv": "a symbolic link to a named pipe (FIFO), not a landing file",
    }


def test_every_odd_entry_in_landing_is_skipped_with_why_and_the_good_file_ingested(
    settings: Settings, cli: CLI, tmp_path: Path
) -> None:
    write_csv(settings, "good.csv", [line("A1")])
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = make_bad_entries(landing(settings), outside)

    result = cli(["run"], timeout=60)  # a FIFO opened for reading would block here

    assert result.returncode == 0, result.stderr
    assert "Processed 1 records" in result.stdout
    warnings = [w for w in result.stderr.splitlines() if w.startswith("warning: landing entry ")]
    for name, words in expected.items():
        matching = [w for w in warnings if w.startswith(f"warning: landing entry {name} skipped: ")]
        assert len(matching) == 1, (name, warnings)
        assert words in matching[0], matching[0]
    assert len(warnings) == len(expected)
    assert live_ids(settings) == {"A1"}


def test_the_console_is_told_the_same_skipped_entries_as_bronze_warns_about(
    settings: Settings, tmp_path: Path
) -> None:
    from lakeconsole.core.landing import scan_landing
    from tests.sales_tables import landing_waiting

    write_csv(settings, "good.csv", [line("A1")])
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = make_bad_entries(landing(settings), outside)

    assert landing_waiting(settings) == {"good.csv"}  # late/orders.csv is not a landing file
    listing = scan_landing(landing(settings))
    assert [f.name for f in listing.files] == ["good.csv"]
    assert {s.name for s in listing.skipped} == set(expected)
    outcome = run(settings)
    for entry in listing.skipped:
        assert f"landing entry {entry.name} skipped: {entry.reason}" in outcome.warnings
