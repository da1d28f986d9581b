"""`lakeconsole vacuum`, `optimize` and `maintain` as a user or cron runs them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.maintenance_fixtures import age, data_files, make_table, read_rows

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _table(home: Path, overwrites: int = 2) -> Path:
    return make_table(home / "data" / "silver" / "orders", overwrites=overwrites)


def test_cli_refuses_retention_under_168_hours_naming_the_rule(cli: Cli, home: Path) -> None:
    table = _table(home)
    before = data_files(table)
    done = cli(["vacuum", "--retention-hours", "2", "--yes"])
    assert done.returncode == 75  # REFUSED, as a refused restore is
    assert done.stderr.strip() == (
        "VACUUM refused: retention 2 h is below the 168 h minimum (OPS-03). "
        "Use --force --reason TEXT to override."
    )
    assert data_files(table) == before


def test_cli_forced_vacuum_logs_reason_and_user_in_app_log(cli: Cli, home: Path) -> None:
    table = _table(home)
    done = cli(
        [
            "vacuum",
            "silver/orders",
            "--retention-hours",
            "0",
            "--force",
            "--reason",
            "purging rows loaded twice",
            "--yes",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert "✓ silver/orders: deleted 2 file(s)" in done.stdout
    log = (home / "logs" / "app.log").read_text()
    assert "VACUUM forced below 168 h by " in log and "reason: purging rows loaded twice" in log
    assert read_rows(table) == [{"id": i, "version": 2} for i in range(3)]


def test_cli_dry_run_lists_files_and_deletes_nothing(cli: Cli, home: Path) -> None:
    table = _table(home)
    before = data_files(table)
    done = cli(["vacuum", "--dry-run", "--retention-hours", "0", "--force", "--reason", "look"])
    assert done.returncode == 0, done.stderr
    assert "silver/orders: 2 file(s)" in done.stdout and "(expired)" in done.stdout
    assert "total: 2 file(s)" in done.stdout
    assert data_files(table) == before


def test_cli_without_a_terminal_needs_yes(cli: Cli, home: Path) -> None:
    table = _table(home)
    before = data_files(table)
    with open(os.devnull) as no_terminal:
        done = cli(
            ["vacuum", "--retention-hours", "0", "--force", "--reason", "x"], stdin=no_terminal
        )
    assert done.returncode == 75  # REFUSED: nothing changed, the message names --yes
    assert "Confirm with --yes" in done.stderr
    assert "total: 2 file(s)" in done.stdout  # the plan is shown
    assert data_files(table) == before


def test_cli_unknown_table_lists_the_real_ones(cli: Cli, home: Path) -> None:
    _table(home)
    done = cli(["vacuum", "silver/nope", "--dry-run"])
    assert done.returncode == 2
    assert "No table 'silver/nope'" in done.stderr and "Tables: silver/orders" in done.stderr


def test_cli_optimize_shows_files_before_and_after(cli: Cli, home: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    table = home / "data" / "silver" / "orders"
    for i in range(3):
        write_deltalake(str(table), pa.table({"id": [i]}), mode="append")
    done = cli(["optimize", "silver/orders", "--json"])
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert (result["files_before"], result["files_after"]) == (3, 1)


def test_maintain_vacuums_overdue_tables_and_backs_up_with_a_heartbeat(
    cli: Cli, home: Path
) -> None:
    table = _table(home)
    age(table / "_delta_log" / "00000000000000000000.json", days=8)  # created 8 days ago
    (home / ".env").write_text(f"BACKUP_TARGET={home / 'cold'}\n")
    done = cli(["maintain"])
    assert done.returncode == 0, done.stderr
    heartbeat = done.stdout.strip().splitlines()[-1]
    assert heartbeat.startswith("✓ Maintenance Finished: vacuumed 1 table(s)")
    assert "; backup " in heartbeat
    again = cli(["maintain"])
    assert "✓ Maintenance Finished: vacuum not due; backup not due" in again.stdout


def test_maintain_fails_when_a_backup_is_due_without_a_target(cli: Cli, home: Path) -> None:
    _table(home)
    done = cli(["maintain"])
    assert done.returncode == 1
    assert "✗ Maintenance Failed: backup due but BACKUP_TARGET is not set" in done.stderr
    skipped = cli(["maintain", "--skip-backup"])
    assert skipped.returncode == 0, skipped.stderr
    assert "✓ Maintenance Finished: vacuum not due; backup skipped" in skipped.stdout


def test_maintain_fails_with_a_heartbeat_when_the_vacuum_is_refused(cli: Cli, home: Path) -> None:
    table = _table(home)
    age(table / "_delta_log" / "00000000000000000000.json", days=8)
    (home / ".env").write_text("VACUUM_RETENTION_HOURS=24\n")
    done = cli(["maintain"])
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "✗ Maintenance Failed: VACUUM refused: VACUUM_RETENTION_HOURS=24 is below the 168 h "
        "minimum (OPS-03) and maintain never forces. Set it to 168 or more in .env"
    )


def test_an_unreadable_table_is_one_line_not_a_traceback(cli: Cli, home: Path) -> None:
    broken = home / "data" / "silver" / "broken" / "_delta_log"
    broken.mkdir(parents=True)
    (broken / "00000000000000000000.json").write_text("this is not a commit\n")
    done = cli(["vacuum", "silver/broken", "--dry-run"])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("✗ VACUUM failed:") and len(done.stderr.splitlines()) == 1


@pytest.mark.slow
def test_maintain_exit_code_is_reliable_over_many_runs(cli: Cli, home: Path) -> None:
    # delta-rs can abort at interpreter exit after some reads (DELTALAKE-NOTES): cron relies on
    # this exit code, so run it repeatedly, with a vacuum and an optimize in the mix.
    table = _table(home)
    codes = []
    for i in range(6):
        age(table / "_delta_log" / "00000000000000000000.json", days=30)
        codes.append(cli(["maintain", "--skip-backup"]).returncode)
        if i % 2:
            codes.append(cli(["optimize", "--zorder"]).returncode)
    assert codes == [0] * len(codes)


def _on_a_terminal(env: dict[str, str], args: list[str], answer: str) -> tuple[int, str, str]:
    """Run the CLI with a pseudo-terminal as stdin and answer its question."""
    import pty
    import sys

    from tests.conftest import REPO

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakeconsole.cli.main", *args],
        env=env,
        cwd=str(REPO),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    os.write(leader, answer.encode())
    out, err = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, out, err


def test_on_a_terminal_vacuum_asks_and_no_deletes_nothing(env: dict[str, str], home: Path) -> None:
    table = _table(home)
    before = data_files(table)
    code, out, err = _on_a_terminal(
        env, ["vacuum", "--retention-hours", "0", "--force", "--reason", "t"], "n\n"
    )
    assert "Delete 2 file(s)" in err and "Nothing deleted." in out
    assert code == 75 and data_files(table) == before


def test_on_a_terminal_vacuum_deletes_after_yes(env: dict[str, str], home: Path) -> None:
    table = _table(home)
    code, out, err = _on_a_terminal(
        env, ["vacuum", "--retention-hours", "0", "--force", "--reason", "t", "--json"], "y\n"
    )
    assert code == 0, err
    assert "Delete 2 file(s)" in err
    result = json.loads(out)  # the question went to stderr: stdout is pure JSON
    assert result["results"][0]["files"] == 2 and result["results"][0]["forced"] is True
    assert len(data_files(table)) == 1


def test_vacuum_waits_for_no_run_holding_the_lock(cli: Cli, home: Path) -> None:
    from lakeconsole.core.lock import RunLock

    table = _table(home)
    age(table / "_delta_log" / "00000000000000000000.json", days=8)
    before = data_files(table)
    with RunLock(home / "data" / "_lakeconsole", "run-1", "lakeconsole run"):
        done = cli(["maintain", "--skip-backup"])
        forced = cli(["vacuum", "--retention-hours", "0", "--force", "--reason", "x", "--yes"])
    assert done.returncode == 75 and forced.returncode == 75
    assert done.stderr.startswith("✗ Maintenance Failed: A run is already going on this lake")
    assert "A run is already going" in forced.stderr
    assert data_files(table) == before
