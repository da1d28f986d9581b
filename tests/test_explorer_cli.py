"""The explorer through the real CLI: lake names and paths, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from deltalake import DeltaTable

from tests.explorer_fixtures import orders_table, rows_at

CLI = Callable[..., subprocess.CompletedProcess[str]]


def test_history_json_equals_deltalakes_history(cli: CLI, home: Path) -> None:
    path = orders_table(home / "data" / "silver" / "orders")
    result = cli(["history", "silver/orders", "--json"])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    expected = DeltaTable(path).history()
    assert [c["version"] for c in shown["commits"]] == [h["version"] for h in expected]
    assert [c["operation"] for c in shown["commits"]] == [h["operation"] for h in expected]
    assert [c["schema_version"] for c in shown["commits"]] == [None, "1.1.0", None, None, "1.0.0"]


def test_history_text_pages_with_a_hint_for_older_commits(cli: CLI, home: Path) -> None:
    orders_table(home / "data" / "silver" / "orders")
    result = cli(["history", "orders", "--limit", "2"])
    assert result.returncode == 0, result.stderr
    assert "DELETE" in result.stdout and "WRITE" in result.stdout
    assert "lakeconsole history orders --before 3" in result.stdout


def test_show_a_version_of_any_table_by_path(cli: CLI, tmp_path: Path) -> None:
    path = orders_table(tmp_path / "spark_written")
    result = cli(["show", str(path), "--version", "1", "--json"])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert sorted(shown["rows"], key=lambda r: r["id"]) == rows_at(path, 1)
    assert [c["name"] for c in shown["columns"]] == ["id", "amount", "channel"]


def test_show_text_names_schema_changes(cli: CLI, home: Path) -> None:
    orders_table(home / "data" / "silver" / "orders")
    result = cli(["show", "silver/orders", "--version", "3", "--limit", "2"])
    assert result.returncode == 0, result.stderr
    assert "+ note: string" in result.stdout and "- channel: string" in result.stdout
    assert "rows 1-2 of 5" in result.stdout


def test_compare_through_the_cli(cli: CLI, home: Path) -> None:
    orders_table(home / "data" / "silver" / "orders")
    result = cli(["show", "silver/orders", "--compare", "1..4", "--key", "id", "--json"])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["added"], shown["removed"], shown["changed"]) == (1, 1, 1)


def test_not_a_table_is_one_clear_line(cli: CLI, tmp_path: Path) -> None:
    result = cli(["history", str(tmp_path)])
    assert result.returncode == 2  # USAGE: the command names no table
    assert "is not a Delta table" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_version_is_one_clear_line(cli: CLI, home: Path) -> None:
    orders_table(home / "data" / "silver" / "orders")
    result = cli(["show", "silver/orders", "--version", "99"])
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Version 99 of ")
    assert "latest is 4" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_name_points_at_the_tables_command(cli: CLI) -> None:
    result = cli(["show", "silver/nothing"])
    assert result.returncode == 2  # USAGE, as vacuum's unknown table is
    assert "lakeconsole tables" in result.stderr and "Traceback" not in result.stderr


def test_unreadable_protocol_is_one_clear_line(cli: CLI, tmp_path: Path) -> None:
    path = orders_table(tmp_path / "future")
    # A table from a future writer: a reader feature delta-rs does not know.
    log = path / "_delta_log" / f"{5:020d}.json"
    log.write_text(
        json.dumps(
            {
                "protocol": {
                    "minReaderVersion": 3,
                    "minWriterVersion": 7,
                    "readerFeatures": ["futureMagic"],
                    "writerFeatures": ["futureMagic"],
                }
            }
        )
        + "\n"
        + json.dumps({"commitInfo": {"timestamp": 1, "operation": "UPGRADE"}})
        + "\n"
    )
    result = cli(["show", str(path)])
    assert result.returncode == 1
    assert "cannot read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_restore_version_with_yes_commits_a_restore(cli: CLI, home: Path) -> None:
    path = orders_table(home / "data" / "silver" / "orders")
    result = cli(["restore-version", "silver/orders", "1", "--yes"])
    assert result.returncode == 0, result.stderr
    assert "Restored silver/orders to version 1; the RESTORE is version 5" in result.stdout
    assert DeltaTable(path).history(1)[0]["operation"] == "RESTORE"


def test_restore_version_without_a_terminal_asks_for_yes(cli: CLI, home: Path) -> None:
    path = orders_table(home / "data" / "silver" / "orders")
    result = cli(["restore-version", "silver/orders", "1"], stdin=subprocess.DEVNULL)
    assert result.returncode == 75  # REFUSED: not confirmed, nothing changed
    assert "--yes" in result.stderr
    assert DeltaTable(path).version() == 4


def test_restore_version_after_vacuum_is_refused(cli: CLI, home: Path) -> None:
    path = orders_table(home / "data" / "silver" / "orders")
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    vacuumed = DeltaTable(path).version()
    result = cli(["restore-version", "silver/orders", "0", "--yes"])
    assert result.returncode == 1
    assert "removed by a VACUUM" in result.stderr
    assert DeltaTable(path).version() == vacuumed


def test_tables_json_lists_the_lake(cli: CLI, home: Path) -> None:
    orders_table(home / "data" / "gold" / "sales" / "orders")
    result = cli(["tables", "--json"])
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["name"], row["layer"], row["version"], row["rows"]) == (
        "gold/sales/orders",
        "gold",
        4,
        4,
    )


def test_reading_a_vacuumed_version_is_one_clear_line(cli: CLI, home: Path) -> None:
    path = orders_table(home / "data" / "silver" / "orders")
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    result = cli(["show", "silver/orders", "--version", "0"])
    assert result.returncode == 1
    assert "data files were removed (by a VACUUM)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
