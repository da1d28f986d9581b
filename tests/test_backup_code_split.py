"""OPS-07 code vs data: the backup warns when git tracks lake, log or .env files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lakeconsole.core.governance import tracked_data
from lakeconsole.core.settings import Settings
from tests.backup_fixtures import CliRunner, make_lake


def git(home: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(home), *args], check=True, capture_output=True)


def test_backup_warns_when_git_tracks_the_lake(
    settings: Settings, home: Path, tmp_path: Path, cli: CliRunner
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    make_lake(settings.data_dir)
    git(home, "init", "-q")
    git(
        home, "add", "-f", "data/landing/orders_2024-01-01.csv", "data/gold/sales/README.md", ".env"
    )
    assert tracked_data(settings) == [".env", "data/landing/orders_2024-01-01.csv"]

    out = cli(["backup", "--target", str(tmp_path / "usb")])
    assert out.returncode == 0
    assert "git tracks lake/log/.env files (OPS-07)" in out.stderr
    assert "data/landing/orders_2024-01-01.csv" in out.stderr


def test_no_warning_when_only_mart_readmes_are_tracked(settings: Settings, home: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    make_lake(settings.data_dir)
    git(home, "init", "-q")
    git(home, "add", "-f", "data/gold/sales/README.md")
    assert tracked_data(settings) == []
