"""One home for exit codes (issue 13, item 11): one meaning per number, in every command."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from lakeconsole.core.backup import run_backup
from lakeconsole.core.settings import Settings
from tests.backup_fixtures import make_lake
from tests.conftest import REPO
from tests.maintenance_fixtures import make_table

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_a_refused_vacuum_exits_as_a_refused_lake_restore_does(
    cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    """ "refused" was 1 in vacuum and 75 in restore: one number now, whoever refuses."""
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_backup(settings, target=target)
    restore = cli(["restore", "--target", target])  # the lake is not empty: refused
    vacuum = cli(["vacuum", "--retention-hours", "2", "--yes"])  # under 168 h: refused
    unconfirmed = cli(["restore-version", "bronze/orders", "0"], stdin=subprocess.DEVNULL)
    assert "not empty" in restore.stderr and "VACUUM refused" in vacuum.stderr
    assert "--yes" in unconfirmed.stderr
    assert restore.returncode == vacuum.returncode == unconfirmed.returncode == 75


def test_an_unknown_table_is_the_usage_code_in_history_as_in_vacuum(cli: Cli, home: Path) -> None:
    make_table(home / "data" / "silver" / "orders")
    codes = {cmd: cli([cmd, "silver/nope"]).returncode for cmd in ("history", "vacuum")}
    assert codes == {"history": 2, "vacuum": 2}


def test_no_cli_module_ends_with_a_bare_number() -> None:
    """Every exit code but 0 is a name from core.exit_codes, so a number keeps one meaning."""
    bare = re.compile(r"^\s*(return|EXIT_\w+\s*=)\s*\(?[1-9]\d*\b", re.M)
    offenders = [
        path.name for path in sorted((REPO / "cli").glob("*.py")) if bare.search(path.read_text())
    ]
    assert offenders == []


def test_help_and_readme_list_the_exit_codes(cli: Cli) -> None:
    from lakeconsole.core.exit_codes import MEANINGS

    readme = (REPO / "README.md").read_text()
    for code, meaning in MEANINGS.items():
        assert f"| {code} | {meaning} |" in readme, code
    shown = cli(["vacuum", "--help"]).stdout
    for code in (0, 1, 2, 75, 130):
        assert f"  {code:<4} {MEANINGS[code]}" in shown, code
