"""One lake lock for every writer: run, vacuum, optimize, lake restore and table RESTORE.

The holder is a real second process with a real flock, as cron's run would be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakeconsole.core.lock import RunLocked, lock_path
from lakeconsole.core.settings import Settings
from tests.conftest import REPO
from tests.sales_fixtures import CLI, line, run, table, write_csv

HOLD = """
import sys
from pathlib import Path
from lakeconsole.core.lock import RunLock
with RunLock(Path(sys.argv[1]), "run-held", "lakeconsole run"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def held_lock(settings: Settings) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lake's lock until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.state_dir)],
        cwd=str(REPO),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    yield holder
    holder.communicate("", timeout=30)


def _lake_with_history(settings: Settings) -> None:
    write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    write_csv(settings, "b.csv", [line("B1")])
    run(settings)


def _run(settings: Settings) -> None:
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline

    run_pipeline(load_pipeline(), settings)


def _vacuum(settings: Settings) -> None:
    from lakeconsole.core.maintenance.vacuum import vacuum_tables

    vacuum_tables([], settings)


def _optimize(settings: Settings) -> None:
    from lakeconsole.core.maintenance.optimize import optimize_tables

    optimize_tables([], settings)


def _lake_restore(settings: Settings) -> None:
    from lakeconsole.core.backup import RestoreRefused
    from lakeconsole.core.backup.restore import restore_snapshot

    try:
        restore_snapshot(settings, force=True, target=str(settings.data_dir.parent / "usb"))
    except RestoreRefused as exc:  # the lake restore says it as its own refusal
        raise RunLocked(None, settings.state_dir) from exc


def _table_restore(settings: Settings) -> None:
    from lakeconsole.core.explorer.restore import plan_restore, restore_version

    restore_version(plan_restore(settings.data_dir / "silver/sales_orders", 1), settings)


WRITERS: dict[str, Callable[[Settings], None]] = {
    "run": _run,
    "vacuum": _vacuum,
    "optimize": _optimize,
    "lake restore": _lake_restore,
    "table RESTORE": _table_restore,
}


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_is_refused_while_another_process_holds_the_lake_lock(
    writer: str, settings: Settings, request: pytest.FixtureRequest
) -> None:
    _lake_with_history(settings)
    if writer == "lake restore":
        from lakeconsole.core.backup.backup import run_backup

        run_backup(settings, target=str(settings.data_dir.parent / "usb"))
    silver = table(settings, "silver/sales_orders").version()
    holder = request.getfixturevalue("held_lock")

    with pytest.raises(RunLocked) as refused:
        WRITERS[writer](settings)

    message = str(refused.value) + str(refused.value.__cause__ or "")
    assert f"process {holder.pid} (lakeconsole run, run run-held" in message
    assert table(settings, "silver/sales_orders").version() == silver  # nothing committed


def test_restore_version_while_a_run_holds_the_lock_is_refused_with_exit_75(
    settings: Settings, cli: CLI, request: pytest.FixtureRequest
) -> None:
    _lake_with_history(settings)
    silver = table(settings, "silver/sales_orders").version()
    holder = request.getfixturevalue("held_lock")

    result = cli(["restore-version", "silver/sales_orders", "1", "--yes"])

    assert result.returncode == 75
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"✗ Restore refused: A run is already going on this lake: process {holder.pid} "
            "(lakeconsole run, run run-held"
        )
    )
    assert "Wait for it to finish" in result.stderr
    assert "Traceback" not in result.stderr
    assert table(settings, "silver/sales_orders").version() == silver


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_lock_file_that_is_a_folder_is_named_with_the_fix(settings: Settings, cli: CLI) -> None:
    lock = lock_path(settings.state_dir)
    lock.mkdir(parents=True)
    result = cli(["run"])
    assert result.returncode == 75
    assert f"The lake's lock file {lock} is a folder: remove it (rmdir {lock})" in _one_line(result)


def test_a_lock_file_that_is_a_dangling_link_is_named_with_the_fix(
    settings: Settings, cli: CLI, tmp_path: Path
) -> None:
    lock = lock_path(settings.state_dir)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.symlink_to(tmp_path / "gone" / "run.lock")
    result = cli(["run"])
    assert result.returncode == 75
    assert (
        f"The lake's lock file {lock} is a link to {tmp_path / 'gone' / 'run.lock'}, "
        f"which does not exist: remove it (rm {lock})"
    ) in _one_line(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens a mode-000 file anyway")
def test_a_lock_file_with_mode_000_is_named_with_the_fix(settings: Settings, cli: CLI) -> None:
    lock = lock_path(settings.state_dir)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    lock.chmod(0)
    result = cli(["run"])
    assert result.returncode == 75
    assert f"The lake's lock file {lock} cannot be opened for writing" in _one_line(result)


def test_taking_over_a_lock_whose_pid_is_alive_says_it_no_longer_holds_it(
    settings: Settings, cli: CLI
) -> None:
    lock = lock_path(settings.state_dir)
    lock.parent.mkdir(parents=True, exist_ok=True)
    # PID 1 is always alive, but it never held this lock: its flock is free.
    lock.write_text(json.dumps({"pid": 1, "run_id": "r-old", "started_at": 0, "command": "x"}))
    assert cli(["run"]).returncode == 0
    log = (settings.data_dir.parent / "logs" / "app.log").read_text()
    assert (
        "took over the lock of run r-old (process 1 no longer holds the lock "
        "(it was restarted or the pid was reused))"
    ) in log
    assert "process 1 is gone" not in log
