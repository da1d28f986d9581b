"""OPS-07 failure modes through the real CLI: one clear line, non-zero exit, the lake untouched."""

from __future__ import annotations

from pathlib import Path

from lakeconsole.core.settings import Settings
from tests.backup_fixtures import CliRunner, lake_listing, make_lake


def test_missing_rclone_is_one_line_naming_the_fix(
    settings: Settings, env: dict[str, str], tmp_path: Path, cli
) -> None:
    make_lake(settings.data_dir)
    before = lake_listing(settings.data_dir)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    out = cli(
        ["backup", "--target", "rclone:coldstore:/tmp/x"], env={**env, "PATH": str(empty_bin)}
    )
    assert out.returncode == 69
    assert out.stderr.strip() == (
        "✗ Backup Failed: Backup needs `rclone`, which is not installed: install "
        "rclone (https://rclone.org/install/, or `apt install rclone`)"
    )
    assert lake_listing(settings.data_dir) == before


def test_unplugged_drive_is_not_reachable(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    make_lake(settings.data_dir)
    before = lake_listing(settings.data_dir)
    out = cli(["backup", "--target", str(tmp_path / "media" / "usb" / "lake")])
    assert out.returncode == 69
    assert "not reachable" in out.stderr and "mount the drive" in out.stderr
    assert not (tmp_path / "media").exists()  # nothing created on the laptop's own disk
    assert lake_listing(settings.data_dir) == before


def test_no_target_set_says_where_to_set_it(cli: CliRunner) -> None:
    out = cli(["backup"])
    assert out.returncode == 2
    assert "set BACKUP_TARGET in .env" in out.stderr


def test_target_inside_the_lake_is_refused(settings: Settings, cli: CliRunner) -> None:
    out = cli(["backup", "--target", str(settings.data_dir / "backups")])
    assert out.returncode == 69 and "inside the lake" in out.stderr


def test_restore_with_no_snapshots_says_so(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    (tmp_path / "usb").mkdir()
    out = cli(["restore", "--to", str(tmp_path / "copy"), "--target", str(tmp_path / "usb")])
    assert out.returncode == 1 and "No snapshots" in out.stderr


def test_empty_lake_is_not_backed_up(settings: Settings, tmp_path: Path, cli: CliRunner) -> None:
    out = cli(["backup", "--target", str(tmp_path / "usb")])
    assert out.returncode == 1
    assert "is empty: nothing to back up" in out.stderr
    assert not (tmp_path / "usb" / "snapshots").exists()
