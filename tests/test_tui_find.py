"""`/` in the console (issue 15, find things): in the tables list, a history, a version's rows
and the log panel, the bar narrows what is shown and says how much, Escape brings all back."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label

from lakeconsole.core.settings import Settings
from lakeconsole.tui.filter_bar import FilterBar
from lakeconsole.tui.screens.table_history import TableHistoryScreen
from lakeconsole.tui.screens.table_version import TableVersionScreen
from lakeconsole.tui.screens.tables import TablesScreen
from tests.explorer_fixtures import many_commits, orders_table
from tests.test_explorer_screen import (
    ExplorerApp,
    freeze_timestamps,
    loaded,
    rows_of,
    status,
    wait_for,
)
from tests.test_tui_console import make_app
from tests.tui_fixtures import SYNTHETIC

SIZE = (120, 40)


def title(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Label).content)


async def type_filter(pilot: Pilot[Any], text: str) -> None:
    """`/`, the text, Enter: as a user filters."""
    await pilot.press("slash")
    bar = pilot.app.screen.query_one(FilterBar)
    assert bar.display and bar.has_focus, "the bar opens at the bottom with the focus"
    screen = pilot.app.screen.region
    assert bar.region.height > 0 and bar.region.bottom <= screen.bottom, "the bar is in view"
    await pilot.press(*text, "enter")
    await pilot.pause()
    assert not bar.display


def lake_with_tables(settings: Settings) -> None:
    for name in ("silver/orders", "silver/order_lines", "gold/revenue"):
        orders_table(settings.data_dir / name)


async def test_slash_narrows_the_tables_list_by_name_and_escape_shows_all(
    settings: Settings,
) -> None:
    lake_with_tables(settings)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables")
        assert len(rows_of(app, "#tables-list")) == 3

        await type_filter(pilot, "ORDER")
        assert [r[1] for r in rows_of(app, "#tables-list")] == [
            "silver/order_lines",
            "silver/orders",
        ]
        assert "matching 'ORDER': 2 of 3 tables" in title(app, "#tables-title")
        # Enter on a filtered row opens that table.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TableHistoryScreen), "history")
        assert app.screen.table_name == "silver/orders"  # type: ignore[attr-defined]
        await pilot.press("escape")

        await wait_for(pilot, lambda: isinstance(app.screen, TablesScreen), "the tables")
        await pilot.press("escape")  # clears the filter, stays on the screen
        assert isinstance(app.screen, TablesScreen)
        await wait_for(pilot, lambda: len(rows_of(app, "#tables-list")) == 3, "all tables")
        assert title(app, "#tables-title") == "Tables: every Delta table of the lake"


async def test_escape_in_the_bar_clears_the_filter(settings: Settings) -> None:
    lake_with_tables(settings)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables")
        await type_filter(pilot, "gold")
        assert len(rows_of(app, "#tables-list")) == 1
        await pilot.press("slash")
        assert app.screen.query_one(FilterBar).value == "gold"  # the filter in force, to edit
        await pilot.press("escape")
        await pilot.pause()
        assert len(rows_of(app, "#tables-list")) == 3
        assert isinstance(app.screen, TablesScreen)


async def open_orders_history(pilot: Pilot[Any], app: App[Any]) -> None:
    await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables")
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, TableHistoryScreen) and loaded(app, "#history-list"),
        "the history",
    )


async def test_slash_in_a_history_keeps_an_operation_or_one_version(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_orders_history(pilot, app)
        await type_filter(pilot, "write")
        await wait_for(pilot, lambda: "match" in status(app, "#history-status"), "the search")
        assert [r[0] for r in rows_of(app, "#history-list")] == ["3", "1", "0"]
        assert "matching 'write': 3 of 5 commits" in title(app, "#history-title")
        assert "3 of 5 commits match 'write'" in status(app, "#history-status")

        await type_filter(pilot, "\b" * 5 + "2")  # a number is a version
        await wait_for(pilot, lambda: "'2'" in status(app, "#history-status"), "the search")
        assert [r[2] for r in rows_of(app, "#history-list")] == ["MERGE"]
        await pilot.press("enter")  # opens the version kept
        await wait_for(pilot, lambda: isinstance(app.screen, TableVersionScreen), "version 2")
        assert app.screen.version == 2  # type: ignore[attr-defined]
        await pilot.press("escape")

        await wait_for(pilot, lambda: isinstance(app.screen, TableHistoryScreen), "history")
        await pilot.press("escape")
        assert [r[0] for r in rows_of(app, "#history-list")] == ["4", "3", "2", "1", "0"]
        assert isinstance(app.screen, TableHistoryScreen)


def events_table(settings: Settings) -> None:
    ids = list(range(60))
    write_deltalake(
        settings.data_dir / "silver" / "events",
        pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "channel": ["web" if i % 3 == 0 else "shop" for i in ids],
            }
        ),
    )


async def open_rows(pilot: Pilot[Any], app: App[Any]) -> None:
    await open_orders_history(pilot, app)
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, TableVersionScreen) and loaded(app, "#version-rows"),
        "the rows",
    )


async def test_slash_filters_a_versions_rows_and_pages_count_the_matches(
    settings: Settings,
) -> None:
    events_table(settings)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_rows(pilot, app)
        assert "rows 1-20 of 60" in status(app, "#version-status")

        await type_filter(pilot, "channel=web")
        await wait_for(pilot, lambda: "matching" in status(app, "#version-status"), "filter")
        assert {r[1] for r in rows_of(app, "#version-rows")} == {"web"}
        assert "rows 1-20 of 20 matching channel=web" in status(app, "#version-status")
        assert title(app, "#version-rows-title") == "Rows where channel=web: 20 of 60 rows"

        await type_filter(pilot, "\b" * 11 + "id=42")
        await wait_for(pilot, lambda: len(rows_of(app, "#version-rows")) == 1, "one row")
        assert rows_of(app, "#version-rows") == [["42", "web"]]

        await pilot.press("escape")  # all rows again, still on the version
        await wait_for(pilot, lambda: len(rows_of(app, "#version-rows")) == 20, "all rows")
        assert "rows 1-20 of 60;" in status(app, "#version-status")
        assert title(app, "#version-rows-title") == "Rows"
        assert isinstance(app.screen, TableVersionScreen)


async def test_a_rows_filter_with_no_match_says_so(settings: Settings) -> None:
    events_table(settings)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_rows(pilot, app)
        await type_filter(pilot, "channel=fax")
        await wait_for(pilot, lambda: "no row" in status(app, "#version-status"), "no match")
        assert status(app, "#version-status").startswith("no row matches channel=fax;")
        assert "0-0" not in status(app, "#version-status")


async def test_a_bad_column_in_a_rows_filter_names_the_columns(settings: Settings) -> None:
    events_table(settings)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_rows(pilot, app)
        await type_filter(pilot, "colour=red")
        await wait_for(pilot, lambda: "No column" in status(app, "#version-status"), "error")
        assert status(app, "#version-status") == (
            "No column 'colour' in this version; columns are: id, channel"
        )
        assert len(rows_of(app, "#version-rows")) == 20  # the rows shown stay


@pytest.fixture
def console_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


INFO = "2026-11-26 10:00:00,001 INFO    lakeconsole.runner: step bronze started"
WARNING = "2026-11-26 10:00:01,003 WARNING lakeconsole.runner: 2 rows quarantined in bronze"
ERROR = "2026-11-26 10:00:02,004 ERROR   lakeconsole.runner: step silver failed"


async def test_slash_on_the_dashboard_filters_the_log_with_the_level_filter(
    console_settings: Settings,
) -> None:
    log = console_settings.log_file
    log.write_text("\n".join([INFO, WARNING, ERROR, INFO.replace("bronze", "gold")]) + "\n")
    app = make_app(console_settings)
    # Wide enough that no line wraps onto a second row (the panel wraps long lines).
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: ERROR in panel.lines, "the tail")
        await type_filter(pilot, "BRONZE")
        assert panel.lines == [INFO, WARNING]
        assert panel.border_title == "app.log · 'BRONZE' 2 of 4 lines"

        await pilot.press("L", "L")  # WARNING+ and the text together
        assert panel.lines == [WARNING]
        assert panel.border_title == "app.log · WARNING+ · 'BRONZE' 1 of 4 lines"
        await pilot.press("L", "L")  # back to ALL

        # New lines pass the same filter, and the count follows.
        with log.open("a") as f:
            f.write(INFO.replace("started", "done") + "\n" + ERROR + "\n")
        await wait_for(pilot, lambda: len(panel.lines) == 3, "the new bronze line")
        assert panel.border_title == "app.log · 'BRONZE' 3 of 6 lines"

        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(panel.lines) == 6 and panel.border_title == "app.log"


async def test_the_log_enlarged_with_l_can_be_filtered(console_settings: Settings) -> None:
    log = console_settings.log_file
    log.write_text("\n".join([INFO, WARNING, ERROR]) + "\n")
    app = make_app(console_settings)
    # Wide enough that no line wraps onto a second row (the panel wraps long lines).
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: ERROR in panel.lines, "the tail")
        await pilot.press("l")
        assert app.board.maximized is panel
        await pilot.press("slash")
        bar = app.board.query_one(FilterBar)
        assert bar.region.height > 0, "the bar shows beside the enlarged log"
        await pilot.press(*"failed", "enter")
        await pilot.pause()
        assert panel.lines == [ERROR] and app.board.maximized is panel


@pytest.mark.usefixtures("utc")
def test_rows_filter_snapshot_at_80x24(settings: Settings, snap_compare: Any) -> None:
    """A version's rows filtered, as a user sees it in the smallest terminal."""
    path = orders_table(settings.data_dir / "silver" / "orders")
    freeze_timestamps(path, 1_795_000_000_000)
    app = ExplorerApp(settings)

    async def filtered(pilot: Pilot[Any]) -> None:
        await open_rows(pilot, app)
        await type_filter(pilot, "amount=40")
        await wait_for(
            pilot,
            lambda: "matching" in status(app, "#version-status"),
            status(app, "#version-status"),
        )

    assert snap_compare(app, terminal_size=(80, 24), run_before=filtered)


async def test_a_history_filter_searches_the_whole_log_not_the_page_loaded(
    settings: Settings,
) -> None:
    many_commits(settings.data_dir / "silver" / "clicks", 120)  # pages of 50
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_orders_history(pilot, app)
        assert len(rows_of(app, "#history-list")) == 50
        await type_filter(pilot, "7")  # version 7, two pages below the first
        await wait_for(pilot, lambda: "match" in status(app, "#history-status"), "the search")
        assert [r[0] for r in rows_of(app, "#history-list")] == ["7"]
        assert "1 of 120 commits match '7'" in status(app, "#history-status")
        await pilot.press("escape")
        assert len(rows_of(app, "#history-list")) == 50
