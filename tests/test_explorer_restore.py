"""Restore a table to a version; refused once that version's files were vacuumed."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from lakeconsole.core.explorer.restore import plan_restore, restore_version
from lakeconsole.core.explorer.table import ExplorerError
from lakeconsole.core.settings import Settings
from tests.explorer_fixtures import orders_table, rows_at


def test_restore_commits_a_restore_and_brings_back_the_versions_rows(
    tmp_path: Path, settings: Settings
) -> None:
    path = orders_table(tmp_path / "orders")
    plan = plan_restore(path, 1)
    assert (plan.current, plan.target) == (4, 1)
    assert (plan.rows_now, plan.rows_after) == (4, 4)
    assert "Restore orders from version 4 to version 1" in plan.summary("orders")
    assert "- note: string" in plan.summary("orders")  # the confirmation says what changes
    new_version = restore_version(plan, settings)
    assert new_version == 5
    assert DeltaTable(path).history(1)[0]["operation"] == "RESTORE"
    assert rows_at(path, 5) == rows_at(path, 1)


def test_restore_is_refused_after_a_vacuum_removed_the_versions_files(
    tmp_path: Path, settings: Settings
) -> None:
    path = orders_table(tmp_path / "orders")
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    plan = plan_restore(path, 0)
    assert plan.missing_files
    before = DeltaTable(path).version()
    with pytest.raises(ExplorerError, match="removed by a VACUUM"):
        restore_version(plan, settings)
    assert DeltaTable(path).version() == before  # nothing committed


def test_restore_to_the_current_or_a_future_version_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    path = orders_table(tmp_path / "orders")
    with pytest.raises(ExplorerError, match="already at version 4"):
        plan_restore(path, 4)
    with pytest.raises(ExplorerError, match="does not exist"):
        plan_restore(path, 9)


def test_restore_is_refused_when_the_table_moved_since_the_confirmation(
    tmp_path: Path, settings: Settings
) -> None:
    path = orders_table(tmp_path / "orders")
    plan = plan_restore(path, 2)
    DeltaTable(path).delete("id = 3")
    with pytest.raises(ExplorerError, match="changed while you were deciding"):
        restore_version(plan, settings)
