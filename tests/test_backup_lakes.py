"""One backup target, two lakes: each snapshot names its lake; restoring or pruning another
lake's needs it to be asked for. And a lake moved aside by a restore stays out of git."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lakeconsole.core.backup import list_snapshots, run_backup
from lakeconsole.core.lake import ensure_layout
from lakeconsole.core.settings import Settings, load_settings
from tests.backup_fixtures import CliRunner, make_lake, rows
from tests.conftest import lakeconsole
from tests.governance_fixtures import clean_project


def other_lake(root: Path) -> tuple[dict[str, str], Settings]:
    """A second project with its own lake, as setup.sh leaves it, with some tables."""
    root.mkdir()
    (root / ".env").write_text("")
    ensure_layout(root / "data")
    (root / "logs").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    env["LAKECONSOLE_HOME"] = str(root)
    settings = load_settings(env)
    make_lake(settings.data_dir)
    return env, settings


@pytest.fixture
def shared(settings: Settings, tmp_path: Path) -> tuple[str, dict[str, str], Settings]:
    """This lake and another one, each backed up once (this one first) to one target."""
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_backup(settings, target=target)
    env_b, settings_b = other_lake(tmp_path / "other")
    run_backup(settings_b, target=target)
    return target, env_b, settings_b


def test_backup_list_shows_each_snapshots_lake_and_marks_another_lakes(
    shared: tuple[str, dict[str, str], Settings], settings: Settings, cli: CliRunner
) -> None:
    target, _, settings_b = shared
    mine, theirs = (s.snapshot for s in list_snapshots(settings, target))

    done = cli(["backup", "--list", "--target", target])

    assert done.returncode == 0, done.stderr
    line = {ln.split()[0]: ln for ln in done.stdout.splitlines() if ln.startswith("20")}
    assert "this lake" in line[mine]
    assert f"* other lake: {settings_b.data_dir}" in line[theirs]
    assert "--from-other-lake" in done.stdout


def test_restore_of_another_lakes_snapshot_is_refused_until_asked_for(
    shared: tuple[str, dict[str, str], Settings],
    settings: Settings,
    cli: CliRunner,
    tmp_path: Path,
) -> None:
    target, _, settings_b = shared
    theirs = list_snapshots(settings, target)[-1].snapshot
    copy = tmp_path / "copy"

    refused = cli(["restore", theirs, "--to", str(copy), "--target", target])

    assert refused.returncode == 75
    assert f"Restore refused: snapshot {theirs} is of another lake ({settings_b.data_dir}" in (
        refused.stderr
    )
    assert "pass --from-other-lake to restore it anyway" in refused.stderr
    assert not copy.exists()

    done = cli(["restore", theirs, "--to", str(copy), "--target", target, "--from-other-lake"])

    assert done.returncode == 0, done.stderr
    assert rows(copy / "silver" / "orders") == rows(settings_b.data_dir / "silver" / "orders")


def test_restore_takes_this_lakes_newest_snapshot_when_another_lake_backed_up_later(
    shared: tuple[str, dict[str, str], Settings],
    settings: Settings,
    cli: CliRunner,
    tmp_path: Path,
) -> None:
    target, _, _ = shared
    mine = list_snapshots(settings, target)[0].snapshot

    done = cli(["restore", "--to", str(tmp_path / "copy"), "--target", target])

    assert done.returncode == 0, done.stderr
    assert f"snapshot {mine} into" in done.stdout


def test_backup_of_one_lake_never_prunes_another_lakes_snapshots(
    shared: tuple[str, dict[str, str], Settings],
    settings: Settings,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    target, env_b, settings_b = shared
    theirs = list_snapshots(settings_b, target)[-1].snapshot
    keep_one = load_settings({**env, "BACKUP_KEEP": "1"})
    (keep_one.data_dir / "landing" / "more.csv").write_text("order_id,qty\n9,9\n")

    run_backup(keep_one, target=target)

    left = {s.snapshot: s.owner for s in list_snapshots(settings, target)}
    assert theirs in left and list(left.values()).count("this") == 1
    copy = tmp_path / "their-copy"
    done = lakeconsole(["restore", theirs, "--to", str(copy), "--target", target], env_b)
    assert done.returncode == 0, done.stderr  # every blob of theirs is still in the target


def test_snapshot_taken_before_lake_ids_still_restores_and_says_so(
    settings: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = tmp_path / "usb"
    snapshot = run_backup(settings, target=str(target)).snapshot
    for manifest in [*target.rglob("manifest.json"), *settings.data_dir.rglob("*.json")]:
        if manifest.parent.name == snapshot or manifest.stem == snapshot:
            data = json.loads(manifest.read_text())
            data.pop("lake_id", None)
            manifest.write_text(json.dumps(data))

    done = cli(["restore", "--to", str(tmp_path / "copy"), "--target", str(target)])

    assert done.returncode == 0, done.stderr
    assert f"snapshot {snapshot} was taken before snapshots named their lake" in done.stderr


def test_lake_moved_aside_by_restore_force_is_not_asked_to_be_committed(
    home: Path, settings: Settings, cli: CliRunner, tmp_path_factory: pytest.TempPathFactory
) -> None:
    clean_project(home)
    target = str(tmp_path_factory.mktemp("usb"))
    assert cli(["backup", "--target", target]).returncode == 0

    done = cli(["restore", "--force", "--target", target])

    assert done.returncode == 0, done.stderr
    assert list(home.glob("data.before-restore-*"))
    check = cli(["check"])
    assert "before-restore" not in check.stdout, check.stdout
