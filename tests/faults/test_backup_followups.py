"""Issue 13 follow-ups (items 7 and 12): a lost lake restores its own snapshot, the lake-id
refusal guards only a lake that holds data, a refused restore creates nothing, and a backup to
a full drive says how much to free and leaves no half-copied file there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.backup import list_snapshots, run_backup
from lakeconsole.core.settings import Settings
from tests.backup_fixtures import CliRunner, make_lake
from tests.faults.runtime_mounts import small_disk
from tests.test_backup_lakes import other_lake


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def lake_id_of(settings: Settings) -> str:
    return (settings.state_dir / "backup" / "lake-id").read_text().strip()


def test_a_lost_lake_restores_its_own_snapshot_without_a_flag(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    snapshot = run_backup(settings, target=target).snapshot
    made = lake_id_of(settings)
    shutil.rmtree(settings.data_dir)  # the laptop is gone; the drive is all there is

    done = cli(["restore", "--target", target])

    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        f"warning: snapshot {snapshot} is of the lake at {settings.data_dir} (lake id "
        f"{made[:8]}); restored into {settings.data_dir}, which held no lake"
    )
    assert (
        done.stdout.strip()
        .splitlines()[-1]
        .startswith(f"✓ Restore Finished: snapshot {snapshot} into {settings.data_dir}: ")
    )
    assert DeltaTable(str(settings.data_dir / "silver" / "orders")).to_pyarrow_table().num_rows
    assert lake_id_of(settings) == made  # it is that lake again: its next backup says so


def test_an_empty_folder_restores_another_lakes_snapshot_and_says_whose(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    target = str(tmp_path / "usb")
    _, settings_b = other_lake(tmp_path / "other")
    theirs = run_backup(settings_b, target=target).snapshot

    done = cli(["restore", "--target", target])  # this lake: layer folders only, no id

    assert done.returncode == 0, done.stderr
    assert (
        f"warning: snapshot {theirs} is of the lake at {settings_b.data_dir} (lake id "
        f"{lake_id_of(settings_b)[:8]}); restored into {settings.data_dir}, which held no lake"
    ) in done.stderr
    assert (settings.data_dir / "silver" / "orders" / "_delta_log").is_dir()


def test_a_lake_that_lost_its_id_restores_a_snapshot_taken_at_its_path(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    snapshot = run_backup(settings, target=target).snapshot
    (settings.state_dir / "backup" / "lake-id").unlink()

    done = cli(["restore", "--target", target, "--force"])

    assert done.returncode == 0, done.stderr
    assert f"✓ Restore Finished: snapshot {snapshot} into {settings.data_dir}" in done.stdout


def test_a_lake_with_data_and_no_id_refuses_another_lakes_snapshot_and_creates_nothing(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    _, settings_b = other_lake(tmp_path / "other")
    theirs = run_backup(settings_b, target=target).snapshot
    before = files_under(settings.data_dir)

    refused = cli(["restore", "--target", target, "--force"])

    assert refused.returncode == 75
    assert refused.stderr.strip().startswith(
        f"✗ Restore refused: snapshot {theirs} is of another lake ({settings_b.data_dir}"
    )
    assert files_under(settings.data_dir) == before  # not even _lakeconsole/backup
    assert [s.snapshot for s in list_snapshots(settings, target)] == [theirs]


def test_a_backup_to_a_full_drive_says_how_much_to_free_and_leaves_no_partial_file(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    big = pa.table({"noise": [os.urandom(64 * 1024) for _ in range(96)]})  # 6 MiB, incompressible
    write_deltalake(str(settings.data_dir / "bronze" / "noise"), big)
    with small_disk(tmp_path / "usb", "4m") as usb:
        done = cli(["backup", "--target", str(usb)])
        left = [p for p in usb.rglob("*") if p.is_file() and p.name.endswith(".partial")]
        snapshots = list((usb / "snapshots").glob("*")) if (usb / "snapshots").exists() else []
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"✗ Backup Failed: disk full at {usb}: free "), line
    assert line.endswith(" MiB and re-run"), line
    assert int(line.split("free ")[1].split(" MiB")[0]) >= 1
    assert left == []
    assert snapshots == []
