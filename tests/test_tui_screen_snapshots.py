"""Snapshots of every screen of the console at 80×24 and 120×40: the tables list, a history, a
version, a comparison, maintenance, backup, the mart docs, `?`, and the dashboard at 120×40
(its 80×24 pictures are in tests/test_tui_snapshots.py); at 120×40 also every dialog and the
states of a screen the 120×40 walk pressed keys into (docs/walkthrough-120x40.md). Real Delta tables with frozen commit
times, a fixed clock and a seeded run history, so a picture only changes when the screen does.

Regenerate after an intended change (and look at the SVGs):
.venv/bin/pytest tests/test_tui_screen_snapshots.py --snapshot-update
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import KeymapFiles
from lakeconsole.tui.modals import ErrorScreen
from tests.screen_walks import (
    Walk,
    layout_lake,
    open_backup,
    open_compare,
    open_help,
    open_history,
    open_history_help,
    open_keys_question,
    open_log_enlarged,
    open_log_filter,
    open_maintenance,
    open_maintenance_help,
    open_marts,
    open_marts_leave_unsaved,
    open_marts_without_preview,
    open_new_mart,
    open_restore_confirmation,
    open_runs,
    open_tables,
    open_tables_filtered,
    open_tables_help,
    open_vacuum_preview,
    open_version,
    open_version_filtered,
)
from tests.test_tui_snapshots import console, settle
from tests.tui_fixtures import Controls

SMALL, LARGE = (80, 24), (120, 40)
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


@pytest.fixture(autouse=True)
def keymap_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """`?` names the files the console reads its keymap from: the same ones in every picture
    (the lake is in a new tmp_path each time)."""
    files = KeymapFiles(
        Path("/home/ana/lake/.env"), Path("/home/ana/.config/lakeconsole/console.toml"), "", ""
    )
    monkeypatch.setattr(ConsoleApp, "keymap_files", property(lambda app: files))


@SIZES
@pytest.mark.parametrize(
    "walk",
    [
        open_tables,
        open_history,
        open_version,
        open_compare,
        open_maintenance,
        open_backup,
        open_marts,
        open_help,
        open_history_help,
    ],
    ids=lambda walk: walk.__name__.removeprefix("open_"),
)
def test_screen(
    settings: Settings,
    snap_compare: Any,
    size: tuple[int, int],
    walk: Walk,
) -> None:
    app = console(settings)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: still(pilot, app, walk))


def test_dashboard_idle_large(settings: Settings, snap_compare: Any) -> None:
    app = console(settings)
    assert snap_compare(app, terminal_size=LARGE, run_before=lambda pilot: settle(pilot, app))


def test_dashboard_running_large(settings: Settings, snap_compare: Any) -> None:
    gate = threading.Event()
    app = console(settings, Controls(gate=gate))

    async def start(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: app.board.view.steps["bronze_orders"].done == 6)

    try:
        assert snap_compare(app, terminal_size=LARGE, run_before=start)
    finally:
        gate.set()


def test_dashboard_failed_large(settings: Settings, snap_compare: Any) -> None:
    app = console(settings, Controls(fail_bronze=True))

    async def fail(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: isinstance(app.screen, ErrorScreen))
        await pilot.press("escape")
        await settle(pilot, app, lambda: "✗" in str(app.board.query_one("#heartbeat").render()))

    assert snap_compare(app, terminal_size=LARGE, run_before=fail)


@pytest.mark.parametrize(
    "walk",
    [
        open_restore_confirmation,
        open_keys_question,
        open_vacuum_preview,
        open_new_mart,
        open_marts_without_preview,
        open_log_enlarged,
        open_log_filter,
        open_tables_filtered,
        open_tables_help,
        open_runs,
        open_version_filtered,
        open_marts_leave_unsaved,
        open_maintenance_help,
    ],
    ids=lambda walk: walk.__name__.removeprefix("open_"),
)
def test_at_120x40(settings: Settings, snap_compare: Any, walk: Walk) -> None:
    app = console(settings)
    assert snap_compare(app, terminal_size=LARGE, run_before=lambda pilot: still(pilot, app, walk))


async def still(pilot: Pilot[Any], app: ConsoleApp, walk: Walk) -> None:
    """The walk, then every text cursor held drawn: a blinking one is drawn or not by when the
    picture is taken (the new mart's name field failed a CI run so, under load)."""
    await walk(pilot, app)
    for field in app.screen.query("Input, TextArea"):
        field.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause(0.1)


def test_failure_dialog_large(settings: Settings, snap_compare: Any) -> None:
    app = console(settings, Controls(fail_bronze=True))

    async def fail(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: isinstance(app.screen, ErrorScreen))

    assert snap_compare(app, terminal_size=LARGE, run_before=fail)
