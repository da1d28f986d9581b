"""The tables view through Pilot: open a table, move through versions, page rows, restore."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from lakeconsole.core.settings import Settings
from lakeconsole.tui.modals import ConfirmScreen
from lakeconsole.tui.screens.table_compare import CompareScreen
from lakeconsole.tui.screens.table_history import TableHistoryScreen
from lakeconsole.tui.screens.table_version import TableVersionScreen
from lakeconsole.tui.screens.tables import TablesScreen
from tests.explorer_fixtures import orders_table

SIZE = (140, 36)


class ExplorerApp(App[None]):
    """The tables view alone, as the console opens it with `t`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(TablesScreen(self.settings))


async def wait_for(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    """Let the app work until `condition` holds (the limit only stops a broken test hanging)."""
    for _ in range(300):
        try:
            if condition():
                return
        except Exception:  # the widget may not be mounted yet
            pass
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def rows_of(app: App[Any], selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def status(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def loaded(app: App[Any], selector: str) -> bool:
    table = app.screen.query_one(selector, DataTable)
    return not table.loading and table.row_count > 0


async def open_history(pilot: Pilot[Any], app: App[Any]) -> None:
    await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables list")
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, TableHistoryScreen) and loaded(app, "#history-list"),
        "the history",
    )


async def test_tables_view_lists_the_lake_and_enter_opens_the_history(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables list")
        [row] = rows_of(app, "#tables-list")
        assert row[:5] == [
            "silver",
            "silver/orders",
            "4",
            "4",
            str(len(DeltaTable(settings.data_dir / "silver" / "orders").file_uris())),
        ]
        assert row[8] == "1.1.0"  # after the size bar
        await open_history(pilot, app)
        history = rows_of(app, "#history-list")
        assert [r[0] for r in history] == ["4", "3", "2", "1", "0"]
        assert [r[2] for r in history] == ["DELETE", "WRITE", "MERGE", "WRITE", "WRITE"]
        await pilot.press("escape")
        assert isinstance(app.screen, TablesScreen)


async def test_moving_through_versions_shows_each_versions_rows(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("down", "down", "down", "enter")  # version 1
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TableVersionScreen) and loaded(app, "#version-rows"),
            "version 1",
        )
        assert sorted(r[0] for r in rows_of(app, "#version-rows")) == ["1", "2", "3", "4"]
        assert [r[0] for r in rows_of(app, "#version-columns")] == ["id", "amount", "channel"]

        await pilot.press("right_square_bracket", "right_square_bracket")  # version 3
        await wait_for(
            pilot,
            lambda: (
                "version 3" in str(app.screen.query_one("#version-title", Label).content)
                and loaded(app, "#version-rows")
            ),
            "version 3",
        )
        assert [r[0] for r in rows_of(app, "#version-columns")] == ["id", "amount", "+ note"]
        changes = status(app, "#version-changes")
        assert "+ note: string" in changes and "- channel: string" in changes
        assert sorted(r[0] for r in rows_of(app, "#version-rows")) == ["1", "2", "3", "4", "5"]

        await pilot.press("right_square_bracket")  # version 4: order 1 deleted
        await wait_for(
            pilot,
            lambda: (
                "version 4" in str(app.screen.query_one("#version-title", Label).content)
                and loaded(app, "#version-rows")
            ),
            "version 4",
        )
        assert sorted(r[0] for r in rows_of(app, "#version-rows")) == ["2", "3", "4", "5"]


async def test_rows_preview_pages_forward_and_back(settings: Settings) -> None:
    path = settings.data_dir / "bronze" / "numbers"
    write_deltalake(path, pa.table({"n": list(range(45))}))
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TableVersionScreen) and loaded(app, "#version-rows"),
            "the first page",
        )
        assert [r[0] for r in rows_of(app, "#version-rows")] == [str(i) for i in range(20)]
        assert "rows 1-20 of 45" in status(app, "#version-status")
        await pilot.press("greater_than_sign", "greater_than_sign")
        await wait_for(pilot, lambda: "rows 41-45" in status(app, "#version-status"), "page 3")
        assert [r[0] for r in rows_of(app, "#version-rows")] == [str(i) for i in range(40, 45)]
        await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: "rows 21-40" in status(app, "#version-status"), "page 2")


async def test_another_table_opens_by_path_and_a_wrong_path_is_explained(
    settings: Settings, tmp_path: Path
) -> None:
    outside = orders_table(tmp_path / "spark_table")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No Delta tables" in status(app, "#tables-status"), "empty")
        await pilot.press("p")
        path_input = app.screen.query_one("#tables-path", Input)
        assert app.screen.focused is path_input
        path_input.value = str(tmp_path / "nothing_here")  # typing it key by key is slow
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no such path" in status(app, "#tables-status"), "error")
        assert isinstance(app.screen, TablesScreen)
        path_input.value = str(outside)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TableHistoryScreen) and loaded(app, "#history-list"),
            "the history of the path",
        )
        assert len(rows_of(app, "#history-list")) == 5


async def test_restore_asks_first_then_commits_a_restore(settings: Settings) -> None:
    path = orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("down", "down", "down", "R")  # version 1
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert "from version 4 to version 1" in app.screen.question  # type: ignore[attr-defined]
        under = app.screen_stack[-2].query_one("#history-status", Static)
        assert (
            str(under.content) == "restore to version 1? (answer in the dialog)"
        )  # not "checking"
        await pilot.press("n")
        await wait_for(pilot, lambda: "cancelled" in status(app, "#history-status"), "cancel")
        assert DeltaTable(path).version() == 4

        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                loaded(app, "#history-list") and rows_of(app, "#history-list")[0][2] == "RESTORE"
            ),
            "the RESTORE",
        )
    assert DeltaTable(path).version() == 5


async def test_compare_shows_added_removed_and_changed_counts(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("down", "down", "down", "space", "up", "up", "up", "C")  # 1 .. 4
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        counts = dict(rows_of(app, "#compare-counts"))
        assert counts == {"added": "1", "removed": "1", "changed": "1", "unchanged": "2"}


def freeze_timestamps(path: Path, start_ms: int) -> None:
    """Give every commit a fixed time (and no run times), so a snapshot does not change."""
    for version, file in enumerate(sorted((path / "_delta_log").glob("*.json"))):
        lines = []
        for line in file.read_text().splitlines():
            action = json.loads(line)
            if "commitInfo" in action:
                action["commitInfo"]["timestamp"] = start_ms + version * 3_600_000
            lines.append(json.dumps(action))
        file.write_text("\n".join(lines) + "\n")


def test_history_view_snapshot(settings: Settings, snap_compare, utc) -> None:
    path = orders_table(settings.data_dir / "silver" / "orders")
    freeze_timestamps(path, 1_795_000_000_000)
    app = ExplorerApp(settings)

    async def opened(pilot: Pilot[Any]) -> None:
        await open_history(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=opened)


async def test_the_console_opens_the_tables_view_with_t_and_escape_goes_back(
    settings: Settings,
) -> None:
    from lakeconsole.tui.app import ConsoleApp
    from tests.tui_fixtures import fixed_upkeep, synthetic_pipeline

    orders_table(settings.data_dir / "silver" / "orders")
    app = ConsoleApp(settings, synthetic_pipeline(), upkeep=fixed_upkeep)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TablesScreen) and loaded(app, "#tables-list"),
            "the tables view",
        )
        assert rows_of(app, "#tables-list")[0][1] == "silver/orders"
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TableHistoryScreen) and loaded(app, "#history-list"),
            "the history",
        )
        await pilot.press("escape", "escape")
        assert app.screen is app.board


async def test_restore_of_a_vacuumed_version_is_refused_with_a_dialog(settings: Settings) -> None:
    from lakeconsole.tui.modals import ErrorScreen

    path = orders_table(settings.data_dir / "silver" / "orders")
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    vacuumed = DeltaTable(path).version()
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press(*["down"] * 6, "R")  # version 0, below the two VACUUM commits
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the refusal")
        assert "removed by a VACUUM" in app.screen.message  # type: ignore[attr-defined]
    assert DeltaTable(path).version() == vacuumed


async def test_compare_asks_for_keys_when_none_is_known(settings: Settings) -> None:
    from lakeconsole.tui.screens.table_compare import KeysScreen

    path = settings.data_dir / "silver" / "lines"
    write_deltalake(path, pa.table({"order_no": [1, 2], "qty": [1, 1]}))
    write_deltalake(path, pa.table({"order_no": [2, 3], "qty": [5, 1]}), mode="overwrite")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("C")  # version 1 against version 0
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the key question")
        app.screen.query_one("#keys-input", Input).value = "order_no"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        counts = dict(rows_of(app, "#compare-counts"))
        assert counts == {"added": "1", "removed": "1", "changed": "1", "unchanged": "0"}


async def test_a_key_that_is_not_unique_is_asked_for_again(settings: Settings) -> None:
    from lakeconsole.tui.screens.table_compare import KeysScreen

    path = settings.data_dir / "silver" / "lines"
    write_deltalake(path, pa.table({"order_no": [1, 1], "line": [1, 2], "qty": [1, 1]}))
    write_deltalake(
        path, pa.table({"order_no": [1, 1], "line": [1, 2], "qty": [5, 1]}), mode="overwrite"
    )
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the key question")
        app.screen.query_one("#keys-input", Input).value = "order_no"
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, KeysScreen) and "not unique" in app.screen.reason,
            "the question again, saying why",
        )
        app.screen.query_one("#keys-input", Input).value = "order_no, line"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        assert dict(rows_of(app, "#compare-counts"))["changed"] == "1"


async def test_a_vacuumed_version_still_shows_its_schema_and_says_why_rows_are_gone(
    settings: Settings,
) -> None:
    path = orders_table(settings.data_dir / "silver" / "orders")
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press(*["down"] * 6, "enter")  # version 0
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TableVersionScreen)
                and "removed" in status(app, "#version-status")
            ),
            "the explanation",
        )
        assert "VACUUM" in status(app, "#version-status")
        assert [r[0] for r in rows_of(app, "#version-columns")] == ["id", "amount", "channel"]


async def test_back_from_a_restore_the_tables_list_shows_the_new_version(
    settings: Settings,
) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("down", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                loaded(app, "#history-list") and rows_of(app, "#history-list")[0][2] == "RESTORE"
            ),
            "the RESTORE",
        )
        await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TablesScreen) and rows_of(app, "#tables-list")[0][2] == "5"
            ),
            "the new version",
        )
