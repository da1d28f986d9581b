"""A `restore --to DIR` killed with -9 half-way leaves no half lake; the re-run just works."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from lakeconsole.core.backup import run_backup
from lakeconsole.core.settings import Settings, load_settings
from tests.backup_fixtures import CliRunner, history, make_lake, rclone_env, rows

__all__ = ["rclone_env"]  # a fixture: pytest finds it by name


@pytest.mark.slow
@pytest.mark.parametrize("remote", [False, True], ids=["folder", "rclone"])
def test_restore_killed_half_way_leaves_no_half_lake_and_the_rerun_succeeds(
    remote: bool,
    settings: Settings,
    env: dict[str, str],
    cli: CliRunner,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    tables = make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_env = env
    if remote:
        run_env = request.getfixturevalue("rclone_env")
        target = f"rclone:coldstore:{tmp_path / 'remote'}"
    run_backup(load_settings(run_env), target=target)
    copy = tmp_path / "copy"

    killed = cli(
        ["restore", "--to", str(copy), "--target", target],
        env={**run_env, "LAKECONSOLE_CRASH_AT": "restore.mid_write:5"},
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not copy.exists()  # nothing half-written under the name the user gave
    assert [p.name for p in tmp_path.glob(".lakeconsole-fetch-*")] == []

    rerun = cli(["restore", "--to", str(copy), "--target", target], env=run_env)

    assert rerun.returncode == 0, rerun.stderr
    assert "half-written restore left by an interrupted one" in rerun.stderr
    assert sorted(tmp_path.glob(".copy.*")) == []
    assert sorted(tmp_path.glob(".lakeconsole-fetch-*")) == []
    for folder in tables.values():
        restored = copy / folder.relative_to(settings.data_dir)
        assert rows(restored) == rows(folder)
        assert history(restored) == history(folder)


def test_restore_refused_as_not_empty_names_a_file_it_found(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_backup(settings, target=target)
    copy = tmp_path / "copy"
    (copy / "bronze").mkdir(parents=True)
    (copy / "bronze" / "notes.txt").write_text("mine\n")

    refused = cli(["restore", "--to", str(copy), "--target", target])

    assert refused.returncode == 75
    assert f"{copy} is not empty (1 files, e.g. bronze/notes.txt)" in refused.stderr
