"""Issue 13 item 12: a URL data dir is refused and a typo creates nothing."""

from __future__ import annotations

import argparse
import types
from pathlib import Path

import pytest

READ_ONLY = [["tables"], ["runs"], ["check"], ["backup", "--list"], ["history", "bronze/orders"]]


# Every command works on object storage since issue 16; a new command module that does not say
# so (`object_storage`) is refused there before anything is read or written.
WORKS_THERE = (
    "alerts, backup, check, demo, features, history, maintain, marts, optimize, quality, repair, "
    "restore, restore-version, run, runs, show, status, tables, trace, vacuum, and the console"
)


def test_a_command_not_marked_for_object_storage_is_refused_before_anything_is_written(
    env: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeconsole.cli.main import ConsoleRefused, object_storage_settings
    from lakeconsole.core.settings import load_settings

    for key, value in {**env, "LAKECONSOLE_DATA_DIR": "s3://bucket/lake"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(home)
    new_command = types.ModuleType("cli.new_command")
    new_command.COMMAND = "new-command"  # type: ignore[attr-defined]
    settings = load_settings(check_writable=False)
    with pytest.raises(ConsoleRefused) as refused:
        object_storage_settings(argparse.Namespace(command="new-command"), new_command, settings)
    assert str(refused.value) == (
        "not yet on object storage: new-command (the lake is on object storage; these work "
        "there today: lakeconsole " + WORKS_THERE + ")"
    )
    assert not list(home.rglob("s3*")), "a local folder named after the URL was written"


def test_a_url_given_with_data_dir_names_the_option(cli, env, home: Path) -> None:
    r = cli(["--data-dir", "abfss://container@account/lake", "run"], env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "--data-dir is abfss://container@account/lake: abfss:// lakes are not supported yet "
        "(only s3://bucket/prefix, including S3-compatible servers via AWS_ENDPOINT_URL); use an "
        "s3:// URL or a local folder"
    )
    assert not list(home.rglob("abfss*"))


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_a_read_only_command_on_a_missing_lake_says_so_and_creates_nothing(
    cli, env, tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "typo"
    r = cli(["--data-dir", str(typo), *command], env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == f"no lake at {typo} (run `lakeconsole demo` or check --data-dir)"
    assert not typo.exists()


def test_demo_still_creates_the_lake(cli, env, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    r = cli(["--data-dir", str(fresh), "demo", "--rows", "10", "--files", "1"], env=env)
    assert r.returncode == 0, r.stderr
    assert (fresh / "landing").is_dir()
