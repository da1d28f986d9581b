"""Walks to every screen of the console (and a lake to walk on), for the snapshot and layout
tests: real Delta tables with frozen commit times, a gold mart, the seeded run history of
tests/test_tui_snapshots.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from deltalake import write_deltalake
from textual.pilot import Pilot
from textual.widgets import DataTable, Markdown, Static, TextArea

from lakeconsole.core.marts.readme import new_mart
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.modals import ConfirmScreen
from lakeconsole.tui.screens.backup import BackupScreen
from lakeconsole.tui.screens.maintenance import MaintenanceScreen, VacuumPreviewScreen
from lakeconsole.tui.screens.marts import MartNameScreen, MartsScreen
from lakeconsole.tui.screens.runs import RunsScreen
from lakeconsole.tui.screens.table_compare import CompareScreen, KeysScreen
from lakeconsole.tui.screens.table_history import TableHistoryScreen
from lakeconsole.tui.screens.table_version import TableVersionScreen
from lakeconsole.tui.screens.tables import TablesScreen
from tests.explorer_fixtures import orders_table
from tests.test_explorer_screen import freeze_timestamps
from tests.test_tui_snapshots import settle
from tests.tui_fixtures import FIXED_NOW, SYNTHETIC

FROZEN_MS = int(FIXED_NOW * 1000) - 5 * 3_600_000  # commits an hour apart, at fixed times


def layout_lake(settings: Settings) -> Settings:
    """The synthetic pipeline's lake, with a keyed table of five versions and a gold mart."""
    settings = dataclasses.replace(settings, pipeline=SYNTHETIC)
    freeze_timestamps(orders_table(settings.data_dir / "silver" / "shop_orders"), FROZEN_MS)
    revenue = settings.data_dir / "gold" / "sales" / "revenue"
    write_deltalake(revenue, pa.table({"day": ["2026-11-17"], "revenue": [1250.5]}))
    freeze_timestamps(revenue, FROZEN_MS)
    new_mart(settings.data_dir, "sales")
    return settings


def loaded(app: ConsoleApp, selector: str) -> bool:
    table = app.screen.query_one(selector, DataTable)
    return not table.loading and table.row_count > 0


def text_of(app: ConsoleApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def until(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    """Let the console work until `condition` holds, then until it has painted."""
    for _ in range(300):
        try:
            if condition():
                await pilot.pause(0.2)
                return
        except Exception:  # the screen in front is not the one asked for yet
            pass
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def open_tables(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("t")
    await until(
        pilot,
        lambda: isinstance(app.screen, TablesScreen) and loaded(app, "#tables-list"),
        "the tables list",
    )


async def open_history(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_tables(pilot, app)
    await pilot.press("enter")  # silver/shop_orders: silver is listed before gold
    await until(
        pilot,
        lambda: isinstance(app.screen, TableHistoryScreen) and loaded(app, "#history-list"),
        "the history of silver/shop_orders",
    )


async def open_version(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_history(pilot, app)
    # Version 3, an overwrite: its rows are in one file, so they come in one order (a version
    # of several files is read in whatever order the files come back).
    await pilot.press("down", "enter")
    await until(
        pilot,
        lambda: isinstance(app.screen, TableVersionScreen) and loaded(app, "#version-rows"),
        "version 3",
    )


async def open_compare(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_history(pilot, app)
    await pilot.press("down", "down", "down", "space", "up", "up", "up", "C")  # 1 .. 4
    await until(
        pilot,
        lambda: isinstance(app.screen, CompareScreen) and loaded(app, "#compare-counts"),
        "the comparison",
    )


async def open_maintenance(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("m")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, MaintenanceScreen)
            and loaded(app, "#maintenance-tables")
            and text_of(app, "#latency-text")
        ),
        "the maintenance view",
    )


async def open_backup(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("b")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, BackupScreen)
            and "loading" not in text_of(app, "#backup-summary")
        ),
        "the backup view",
    )


async def open_marts(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("d")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, MartsScreen)
            and app.screen.query_one(TextArea).text
            and app.screen.query_one(Markdown).source
        ),
        "the sales README",
    )
    # A blinking cursor is drawn or not by when the picture is taken: it stays drawn.
    app.screen.query_one(TextArea).cursor_blink = False
    await pilot.pause(0.2)


async def open_help(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys of the dashboard")


async def open_history_help(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_history(pilot, app)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys of the history")


# --- dialogs and the states of a screen (the 120×40 walk, docs/walkthrough-120x40.md) ------


async def open_restore_confirmation(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_history(pilot, app)
    await pilot.press("down", "R")  # version 3
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "restore to version 3?")


async def open_keys_question(pilot: Pilot[Any], app: ConsoleApp) -> None:
    """What a comparison asks when it knows no key (the words core's KeyNeeded uses)."""
    await open_history(pilot, app)
    reason = (
        "silver/shop_orders has no key in the pipeline and no column is unique in both "
        "versions: name the columns that identify a row"
    )
    app.push_screen(KeysScreen(reason))
    await until(pilot, lambda: isinstance(app.screen, KeysScreen), "the key columns question")


async def open_vacuum_preview(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_maintenance(pilot, app)
    await pilot.press("V")
    await until(pilot, lambda: isinstance(app.screen, VacuumPreviewScreen), "the vacuum preview")


async def open_new_mart(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_marts(pilot, app)
    await pilot.press("ctrl+n")
    await until(pilot, lambda: isinstance(app.screen, MartNameScreen), "the new mart's name")


async def open_marts_without_preview(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_marts(pilot, app)
    await pilot.press("ctrl+t")
    await until(
        pilot,
        lambda: (
            not app.screen.query_one("#marts-preview-box").display
            or app.screen.has_class("-toggled")
        ),
        "the editor alone",
    )


async def open_log_enlarged(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("l")
    await until(pilot, lambda: app.board.maximized is not None, "the log enlarged")


async def open_log_filter(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("slash", *"succeeded")
    await until(pilot, lambda: app.board.query_one("#log-filter").has_focus, "the log filter")


async def open_tables_filtered(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_tables(pilot, app)
    await pilot.press("slash", *"shop", "enter")
    await until(pilot, lambda: "match" in text_of(app, "#tables-status"), "the filtered list")


async def open_tables_help(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_tables(pilot, app)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys of the tables")


async def open_version_filtered(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_version(pilot, app)
    await pilot.press("slash", *"amount=40", "enter")
    await until(pilot, lambda: "matching" in text_of(app, "#version-status"), "the rows filtered")


async def open_marts_leave_unsaved(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_marts(pilot, app)
    app.screen.query_one(TextArea).insert("An edit.\n")
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "leave and lose the edits?")


async def open_maintenance_help(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_maintenance(pilot, app)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys of maintenance")


async def open_runs(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("u")
    await until(
        pilot,
        lambda: isinstance(app.screen, RunsScreen) and loaded(app, "#runs-list"),
        "the runs",
    )


Walk = Callable[[Pilot[Any], ConsoleApp], Any]
VIEWS: dict[str, Walk] = {
    "tables": open_tables,
    "history": open_history,
    "version": open_version,
    "maintenance": open_maintenance,
    "backup": open_backup,
    "marts": open_marts,
}
