"""Issue 13 follow-ups (items 9 and 11): whether an invocation writes the lake is the command's
answer for those flags, not its name. Dry runs, lists and drills create nothing on a mistyped
--data-dir and work on a read-only lake; the console never makes a typo into a lake, and on a
read-only lake says in one line what works. A refusal says "refused" in every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.runtime_mounts import read_only

# Invocations that only read the lake although their command can write it.
READING = [
    ["vacuum", "--dry-run"],
    ["marts"],
    ["marts", "list"],
    ["repair", "--dry-run", "silver/orders"],
    ["restore", "--drill"],
    ["alerts"],
]


def no_lake(path: Path) -> str:
    return f"no lake at {path} (run `lakeconsole demo` or check --data-dir)"


@pytest.fixture
def built(cli, env, home: Path) -> dict[str, str]:
    """A lake with three tables and a run record (a real run), backed up once to a target."""
    good = {**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"}
    good["BACKUP_TARGET"] = str(home / "backup-target")
    r = cli(["run"], env=good)
    assert r.returncode == 0, r.stderr
    r = cli(["backup"], env=good)
    assert r.returncode == 0, r.stderr
    return good


@pytest.mark.parametrize("command", [*READING, []], ids=lambda c: " ".join(c) or "console")
def test_a_reading_invocation_on_a_mistyped_data_dir_creates_nothing(
    cli, env: dict[str, str], home: Path, command: list[str]
) -> None:
    typo = home / "typo"
    r = cli(["--data-dir", str(typo), *command], env={**env, "BACKUP_TARGET": str(home / "bk")})
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip() == no_lake(typo)
    assert not typo.exists()
    assert not (home / "bk").exists()


@pytest.mark.parametrize("command", READING, ids=lambda c: " ".join(c))
def test_a_reading_invocation_works_on_a_read_only_lake(
    cli, built: dict[str, str], home: Path, command: list[str]
) -> None:
    with read_only(home / "data"):
        r = cli(command, env=built)
    assert "Read-only file system" not in r.stderr
    assert "Traceback" not in r.stderr
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_console_on_a_read_only_lake_says_in_one_line_what_works(
    cli, built: dict[str, str], home: Path
) -> None:
    with read_only(home / "data"):
        r = cli([], env=built)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip() == (
        f"the lake at {home / 'data'} is read-only (Read-only file system): the console needs "
        "to write it. These only read it and work: lakeconsole backup, check, features, history, "
        "quality, runs, show, status, tables, trace; alerts list; alerts test; marts list; "
        "repair --dry-run; restore --drill; vacuum --dry-run"
    )


def test_vacuum_while_a_run_holds_the_lock_says_refused(cli, built: dict[str, str]) -> None:
    from lakeconsole.core.lock import RunLock
    from lakeconsole.core.settings import load_settings

    settings = load_settings(built)
    with RunLock(settings.state_dir, "run-held", "lakeconsole run"):
        r = cli(["vacuum", "--yes"], env=built)
        o = cli(["optimize"], env=built)
    assert r.returncode == 75, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("✗ VACUUM refused: ")
    assert o.returncode == 75, o.stderr
    assert o.stderr.strip().splitlines()[-1].startswith("✗ OPTIMIZE refused: ")
