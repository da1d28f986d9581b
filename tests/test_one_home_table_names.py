"""One way a table name resolves (issue 13, item 11): every command that takes a table accepts
the short name, the lake name and the path, and an unknown name lists the close matches."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.maintenance_fixtures import make_table

Cli = Callable[..., subprocess.CompletedProcess[str]]

# Each command with the arguments that make it read or change nothing it should not.
COMMANDS = {
    "history": ["history", "{name}"],
    "show": ["show", "{name}", "--limit", "0"],
    "compare": ["show", "{name}", "--compare", "0..1", "--key", "id"],
    "vacuum": ["vacuum", "{name}", "--dry-run"],
    "optimize": ["optimize", "{name}"],
    "restore-version": ["restore-version", "{name}", "0", "--yes"],
}


def _lake(home: Path) -> Path:
    make_table(home / "data" / "gold" / "sales" / "daily_revenue")
    return make_table(home / "data" / "silver" / "sales_orders")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_takes_the_short_table_name(cli: Cli, home: Path, command: str) -> None:
    _lake(home)
    args = [a.format(name="sales_orders") for a in COMMANDS[command]]
    done = cli(args)
    assert done.returncode == 0, done.stderr
    assert "No table" not in done.stderr


@pytest.mark.parametrize("spelling", ["silver/sales_orders", "silver/sales_orders/", "path"])
def test_vacuum_takes_the_lake_name_and_the_path(cli: Cli, home: Path, spelling: str) -> None:
    table = _lake(home)
    name = str(table) if spelling == "path" else spelling
    done = cli(["vacuum", name, "--dry-run"])
    assert done.returncode == 0, done.stderr
    assert "silver/sales_orders: " in done.stdout


@pytest.mark.parametrize("command", ["history", "show", "vacuum", "optimize"])
def test_an_unknown_table_is_a_usage_error_naming_the_close_match(
    cli: Cli, home: Path, command: str
) -> None:
    _lake(home)
    args = [a.format(name="sales_ordrs") for a in COMMANDS[command]]
    done = cli(args)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("No table 'sales_ordrs' in the lake at ")
    assert "Did you mean silver/sales_orders?" in line
    assert "'lakeconsole tables' lists them" in line
