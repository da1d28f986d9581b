"""Catalog-managed tables (coordinated commits) keep commits the catalog has not yet copied
into the log in _delta_log/_commits/; a backup must keep them, byte for byte."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.backup import restore_snapshot, run_backup
from lakeconsole.core.settings import Settings


def catalog_managed_table(path: Path) -> tuple[Path, str]:
    """A real table whose newest commit (v2) is unbackfilled, as such writers leave it:
    `_delta_log/_commits/00000000000000000002.<uuid>.json`, its data file in the table."""
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        write_deltalake(str(path), pa.table({"day": [day], "n": [1]}), mode="append")
    log = path / "_delta_log"
    (log / "_commits").mkdir()
    staged = log / "_commits" / f"{2:020d}.{uuid.uuid4()}.json"
    (log / f"{2:020d}.json").rename(staged)
    added = next(
        line.split('"path":"', 1)[1].split('"', 1)[0]
        for line in staged.read_text().splitlines()
        if '"add"' in line
    )
    return staged, added


def test_backup_keeps_unbackfilled_commits_and_their_data_files(
    tmp_path: Path, settings: Settings
) -> None:
    table = settings.data_dir / "silver" / "catalog_orders"
    staged, added = catalog_managed_table(table)
    assert DeltaTable(str(table)).version() == 1  # delta-rs reads only the backfilled log

    run_backup(settings, target=str(tmp_path / "usb"))
    restored = tmp_path / "restored"
    restore_snapshot(settings, to=restored, target=str(tmp_path / "usb"))
    copy = restored / "silver" / "catalog_orders"

    kept = copy / "_delta_log" / "_commits" / staged.name
    assert kept.read_bytes() == staged.read_bytes()
    assert (copy / added).read_bytes() == (table / added).read_bytes()
    assert DeltaTable(str(copy)).version() == 1
    assert DeltaTable(str(copy)).to_pyarrow_table().num_rows == 2
