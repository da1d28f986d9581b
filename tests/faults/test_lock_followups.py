"""Issue 13 item 9: a lock file that is not a plain file (a FIFO, a link, a socket) is refused with
one line naming it and the fix; nothing hangs on it, and nothing is written through a link.

Every command runs as a real subprocess with a timeout, so a hang fails the test."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from lakeconsole.core.lock import lock_path
from lakeconsole.core.settings import Settings
from tests.sales_fixtures import CLI, line, run, table, write_csv

WRITERS = {
    "run": ["run"],
    "vacuum": ["vacuum", "--yes"],
    "restore-version": ["restore-version", "silver/sales_orders", "1", "--yes"],
}


def lake_with_history(settings: Settings) -> Path:
    """Two runs (so there is a version to restore), and the lock file's path."""
    write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    write_csv(settings, "b.csv", [line("B1")])
    run(settings)
    return lock_path(settings.state_dir)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints."""
    assert result.returncode == 75, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.strip().splitlines() if "lock file" in x]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_lock_file_that_is_a_fifo_is_refused_and_nothing_hangs(
    writer: str, settings: Settings, cli: CLI
) -> None:
    lock = lake_with_history(settings)
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)
    silver = table(settings, "silver/sales_orders").version()

    result = cli(WRITERS[writer], timeout=30)

    assert (
        f"The lake's lock file {lock} is a named pipe (FIFO), not a file: "
        f"remove it (rm {lock}), then try again"
    ) in refusal(result)
    assert table(settings, "silver/sales_orders").version() == silver


@pytest.mark.parametrize("writer", WRITERS)
def test_a_lock_file_that_links_to_a_file_is_refused_and_the_file_is_untouched(
    writer: str, settings: Settings, cli: CLI, tmp_path: Path
) -> None:
    lock = lake_with_history(settings)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)

    result = cli(WRITERS[writer], timeout=30)

    assert (
        f"The lake's lock file {lock} is a link to {victim}: remove it (rm {lock}), then try again"
    ) in refusal(result)
    assert victim.read_text() == "precious\n"


def test_a_lock_file_that_is_a_socket_is_refused(settings: Settings, cli: CLI) -> None:
    lock = lock_path(settings.state_dir)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(lock))
        result = cli(["run"], timeout=30)
    assert (
        f"The lake's lock file {lock} is a socket, not a file: remove it (rm {lock}), then try again"
    ) in refusal(result)


@pytest.mark.parametrize("command", [["runs"], ["check"], ["tables"]])
def test_read_only_commands_do_not_hang_on_a_fifo_lock_file(
    command: list[str], settings: Settings, cli: CLI
) -> None:
    lock = lake_with_history(settings)
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)

    result = cli(command, timeout=30)

    assert "Traceback" not in result.stderr
    assert lock.is_fifo()  # looked at, never opened as a file


def test_the_console_does_not_read_the_holder_through_a_link(
    settings: Settings, tmp_path: Path
) -> None:
    from lakeconsole.core.lock import RunLock, current_holder

    elsewhere = tmp_path / "elsewhere"
    with RunLock(elsewhere, "run-elsewhere", "lakeconsole run"):
        lock = lock_path(settings.state_dir)
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.symlink_to(lock_path(elsewhere))
        assert current_holder(settings.state_dir) is None
        assert current_holder(elsewhere) is not None
