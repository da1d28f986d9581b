"""Issue 13 item 9: a read-only lake (and log folder) can still be inspected and backed up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.runtime_mounts import read_only

INSPECT = [
    ["tables"],
    ["history", "bronze/orders"],
    ["show", "silver/orders"],
    ["runs"],
    ["check"],
    ["--help"],
]


@pytest.fixture
def built(cli, env, home: Path) -> dict[str, str]:
    """A lake with three tables and a run record, built by a real run."""
    good = {**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"}
    r = cli(["run"], env=good)
    assert r.returncode == 0, r.stderr
    return good


@pytest.mark.parametrize("command", INSPECT, ids=lambda c: c[0])
def test_every_inspecting_command_works_on_a_read_only_lake(
    cli, built: dict[str, str], home: Path, command: list[str]
) -> None:
    with read_only(home / "data"):
        r = cli(command, env=built)
    assert "Read-only file system" not in r.stderr
    assert "Traceback" not in r.stderr
    assert r.returncode in (0, 1), r.stderr  # check may have findings (exit 1), never exit 2
    if command[0] == "runs":
        assert "succeeded" in r.stdout


def test_a_read_only_lake_can_be_backed_up(cli, built: dict[str, str], home: Path) -> None:
    target = home / "backup-target"
    with read_only(home / "data"):
        r = cli(["backup", "--target", str(target)], env=built)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("✓ Backup Finished: snapshot ")
    assert len(list(target.glob("snapshots/*/manifest.json"))) == 1


def test_a_read_only_log_folder_gives_one_warning_and_the_command_works(
    cli, built: dict[str, str], home: Path
) -> None:
    with read_only(home / "data"), read_only(home / "logs"):
        r = cli(["tables"], env=built)
    assert r.returncode == 0, r.stderr
    assert "bronze/orders" in r.stdout
    warnings = [line for line in r.stderr.splitlines() if line.strip()]
    assert warnings == [
        f"warning: cannot write the log {home / 'logs' / 'app.log'} (Read-only file system); "
        "this command's log lines are dropped"
    ]
