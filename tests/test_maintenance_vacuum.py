"""VACUUM (OPS-03) through the engine: refusal, forcing, dry runs, what is deleted and kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from lakeconsole.core.applog import setup_logging
from lakeconsole.core.maintenance.ledger import read_records
from lakeconsole.core.maintenance.vacuum import (
    VacuumRefused,
    plan_tables,
    plan_vacuum,
    vacuum_tables,
)
from lakeconsole.core.settings import Settings
from tests.maintenance_fixtures import backdate_tombstones, data_files, make_table, read_rows


def test_retention_under_168_hours_is_refused_naming_the_rule(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    with pytest.raises(VacuumRefused) as refused:
        plan_vacuum(table, settings.data_dir, 2)
    assert str(refused.value) == (
        "VACUUM refused: retention 2 h is below the 168 h minimum (OPS-03). "
        "Use --force --reason TEXT to override."
    )


def test_forcing_without_a_reason_is_refused(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    with pytest.raises(VacuumRefused, match="needs a reason"):
        plan_vacuum(table, settings.data_dir, 0, force=True, reason="  ")


def test_forced_vacuum_logs_who_and_why_in_app_log(settings: Settings) -> None:
    setup_logging(settings)
    table = make_table(settings.data_dir / "silver" / "orders")
    plans = plan_tables([table], settings, 0, force=True, reason="purging toxic rows")
    [result] = vacuum_tables(plans, settings)
    log = settings.log_file.read_text()
    assert "VACUUM forced below 168 h" in log
    assert "reason: purging toxic rows" in log
    assert f"by {result.user}" in log
    [record] = read_records(settings.state_dir, "vacuum")
    assert record["forced"] is True and record["reason"] == "purging toxic rows"


def test_dry_run_deletes_nothing(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    before = data_files(table)
    plan = plan_vacuum(table, settings.data_dir, 0, force=True, reason="look only", full=True)
    assert len(plan.files) == 2  # the two overwritten versions' files
    assert data_files(table) == before
    assert read_records(settings.state_dir) == []


def test_vacuum_after_overwrite_deletes_only_expired_files(settings: Settings) -> None:
    # Honest about the clock: the first overwrite's tombstones are back-dated 8 days in the log
    # (delta-rs judges expiry by them); the second overwrite's are fresh. Retention is 168 h.
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    backdate_tombstones(table, commit=1, days=8)
    version0_file = {a["add"]["path"] for a in _actions(table, 0) if "add" in a}
    version1_file = {a["add"]["path"] for a in _actions(table, 1) if "add" in a}
    [plan] = plan_tables([table], settings)
    assert plan.retention_hours == 168
    assert {f.path for f in plan.files} == version0_file
    [result] = vacuum_tables([plan], settings)
    assert result.files == 1
    left = data_files(table)
    assert not version0_file & left
    assert version1_file <= left  # removed 0 days ago: kept for time travel
    assert read_rows(table) == [{"id": i, "version": 2} for i in range(3)]
    assert DeltaTable(str(table)).version() == 4  # VACUUM START + VACUUM END


def test_forced_zero_retention_vacuum_keeps_the_current_version_whole(settings: Settings) -> None:
    table = make_table(settings.data_dir / "gold" / "sales" / "daily", overwrites=3)
    current = set(DeltaTable(str(table)).file_uris())
    [result] = vacuum_tables(plan_tables([table], settings, 0, force=True, reason="t"), settings)
    assert result.files == 3
    assert {str(table / f) for f in data_files(table)} == current
    assert read_rows(table) == [{"id": i, "version": 3} for i in range(3)]


def test_mart_readmes_survive_a_full_vacuum(settings: Settings) -> None:
    mart = settings.data_dir / "gold" / "sales"
    table = make_table(mart / "daily_revenue", overwrites=1)
    (mart / "README.md").write_text("# Sales mart\n")
    (table / "README.md").write_text("# Daily revenue\n")
    (table / "notes.txt").write_text("keep me\n")
    [plan] = plan_tables([table], settings, 0, force=True, reason="full test", full=True)
    assert set(plan.kept) == {"README.md", "notes.txt"}
    assert all(f.path.endswith(".parquet") for f in plan.files)
    vacuum_tables([plan], settings)
    assert (mart / "README.md").read_text() == "# Sales mart\n"
    assert (table / "README.md").read_text() == "# Daily revenue\n"
    assert (table / "notes.txt").exists()
    assert read_rows(table) == [{"id": i, "version": 1} for i in range(3)]


def test_table_retention_property_under_168_hours_is_flagged_and_not_trusted(
    settings: Settings,
) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    DeltaTable(str(table)).alter.set_table_properties(
        {"delta.deletedFileRetentionDuration": "interval 1 hours"}
    )
    [plan] = plan_tables([table], settings)
    assert plan.retention_flagged and plan.table_retention_hours == 1
    assert plan.retention_hours == 168
    assert plan.files == ()  # the overwrite is minutes old: kept despite the 1 h property


def test_a_longer_table_retention_is_honoured(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    DeltaTable(str(table)).alter.set_table_properties(
        {"delta.deletedFileRetentionDuration": "interval 30 days"}
    )
    [plan] = plan_tables([table], settings)
    assert plan.retention_hours == 720 and not plan.retention_flagged


def _actions(table: Path, version: int) -> list[dict[str, Any]]:
    text = (table / "_delta_log" / f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_force_with_a_normal_retention_is_not_a_forced_vacuum(settings: Settings) -> None:
    setup_logging(settings)
    table = make_table(settings.data_dir / "silver" / "orders")
    [plan] = plan_tables([table], settings, 168, force=True, reason="habit")
    assert not plan.forced and plan.reason == ""
    vacuum_tables([plan], settings)
    assert "forced" not in settings.log_file.read_text()


def test_full_vacuum_never_touches_a_table_nested_in_the_folder(settings: Settings) -> None:
    # delta-rs's own full mode lists the inner table's data and log files as unreferenced.
    outer = make_table(settings.data_dir / "gold" / "sales", overwrites=1)
    inner = make_table(outer / "daily", overwrites=0)
    inner_files = data_files(inner)
    [plan] = plan_tables([outer], settings, 0, force=True, reason="nested", full=True)
    assert not any(f.path.startswith("daily/") for f in plan.files)
    vacuum_tables([plan], settings)
    assert data_files(inner) == inner_files
    assert read_rows(inner) == [{"id": i, "version": 0} for i in range(3)]


def test_cancelling_stops_between_tables(settings: Settings) -> None:
    import threading

    tables = [make_table(settings.data_dir / "silver" / n, overwrites=1) for n in ("a", "b", "c")]
    cancel = threading.Event()

    def progress(done: int, total: int, what: str) -> None:
        if what == "silver/a":  # the user presses stop while the first table is vacuumed
            cancel.set()

    plans = plan_tables(tables, settings, 0, force=True, reason="cancel test")
    results = vacuum_tables(plans, settings, progress=progress, cancel=cancel)
    assert [r.name for r in results] == ["silver/a"]
    assert len(data_files(tables[1])) == 2 and len(data_files(tables[2])) == 2
