"""A compare shows what changed, not only which keys (issue 15, find things): the CLI's
`show --compare` and the console's compare list, for a page of changed keys, each changed
column's value before → after, from the one core computation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.table_compare import CompareScreen
from tests.explorer_fixtures import orders_table
from tests.test_explorer_screen import ExplorerApp, open_history, rows_of, wait_for

CLI = Callable[..., subprocess.CompletedProcess[str]]


def repriced(path: Path) -> Path:
    """30 products; version 1 raises the price of the odd ids and makes every third one blue."""
    ids = list(range(30))
    write_deltalake(
        path, pa.table({"id": ids, "price": [float(i) for i in ids], "colour": ["red"] * 30})
    )
    write_deltalake(
        path,
        pa.table(
            {
                "id": ids,
                "price": [float(i) + i % 2 for i in ids],
                "colour": ["blue" if i % 3 == 0 and i else "red" for i in ids],
            }
        ),
        mode="overwrite",
    )
    return path


def test_cli_compare_prints_before_and_after_for_a_page_of_changed_keys(
    cli: CLI, home: Path
) -> None:
    repriced(home / "data" / "silver" / "products")
    result = cli(["show", "silver/products", "--compare", "0..1", "--limit", "3"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "changed values, keys 1-3 of 19 (in key order):" in out
    lines = out.splitlines()
    start = lines.index("id  column  before → after")
    assert [" ".join(x.split()) for x in lines[start + 1 : start + 5]] == [
        "1 price 1.0 → 2.0",
        "3 price 3.0 → 4.0",
        "colour red → blue",
        "5 price 5.0 → 6.0",
    ]
    assert "--compare 0..1 --offset 3 --limit 3" in out  # how to see the next page


def test_cli_compare_json_gives_the_changed_values_structured(cli: CLI, home: Path) -> None:
    repriced(home / "data" / "silver" / "products")
    result = cli(["show", "silver/products", "--compare", "0..1", "--offset", "1", "--json"])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["changed"] == 19 and shown["changed_offset"] == 1
    assert shown["changed_rows"][0] == {
        "key": {"id": 3},
        "changes": [
            {"column": "price", "before": 3.0, "after": 4.0},
            {"column": "colour", "before": "red", "after": "blue"},
        ],
    }
    assert len(shown["changed_rows"]) == 18  # keys 2-19: fewer than a page (20) left


async def test_console_compare_lists_the_changed_values(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_history(pilot, app)
        await pilot.press("down", "down", "C")  # version 2 (the MERGE) against 1
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        # The merge raised order 2 from 20.0 to 25.0 and inserted order 5.
        assert rows_of(app, "#compare-values") == [["2", "amount", "20.0 → 25.0"]]
        title = str(app.screen.query_one("#compare-values-title").render())
        assert title == "Changed values: every changed key (1), by key"
