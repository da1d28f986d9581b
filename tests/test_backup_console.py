"""The backup view through Pilot: back up with a progress bar, restore behind a confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deltalake import DeltaTable
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.backup import BackupScreen
from tests.backup_fixtures import make_lake, settings_with


class Host(App[None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(BackupScreen(self.settings))


async def wait_idle(pilot: Pilot[Any], screen: BackupScreen) -> None:
    for _ in range(300):
        await pilot.pause(0.05)
        if not screen.busy and not any(w.is_running and w.node is screen for w in screen.workers):
            return
    raise AssertionError("backup view still busy")


async def test_backup_now_adds_a_snapshot_and_restore_asks_first(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_with(env, BACKUP_TARGET=str(tmp_path / "usb"))
    tables = make_lake(settings.data_dir)
    app = Host(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        await wait_idle(pilot, screen)
        summary = str(screen.query_one("#backup-summary", Static).content)
        assert "never (D runs one)" in summary  # the drill's own key, not the docs' `d`

        await pilot.press("B")
        await wait_idle(pilot, screen)
        assert str(screen.query_one("#backup-status", Static).content).startswith("✓ snapshot")
        assert screen.query_one("#backup-snapshots", DataTable).row_count == 1
        assert "Up to date" in str(screen.query_one("#backup-summary", Static).content)

        await pilot.press("R")  # the confirmation defaults to No
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert "nothing changed" in str(screen.query_one("#backup-status", Static).content)
        assert not list(settings.data_dir.parent.glob("*.before-restore-*"))

        await pilot.press("R")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await wait_idle(pilot, screen)
        assert "✓ restored" in str(screen.query_one("#backup-status", Static).content)
        assert len(list(settings.data_dir.parent.glob("*.before-restore-*"))) == 1
        assert DeltaTable(str(tables["bronze"])).version() == 2


async def test_backup_view_without_a_target_says_how_to_set_one(settings: Settings) -> None:
    app = Host(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        await wait_idle(pilot, screen)
        assert "set BACKUP_TARGET" in str(screen.query_one("#backup-summary", Static).content)
        await pilot.press("B")
        await pilot.pause()
        assert not screen.busy


async def test_b_on_the_console_opens_the_backup_view_and_shift_d_runs_a_drill(
    env: dict[str, str], tmp_path: Path
) -> None:
    from lakeconsole.core.backup import read_status, run_backup
    from lakeconsole.tui.app import ConsoleApp

    settings = settings_with(env, BACKUP_TARGET=str(tmp_path / "usb"))
    make_lake(settings.data_dir)
    run_backup(settings)
    app = ConsoleApp(settings, None, pipeline_error="no pipeline in this test")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        await wait_idle(pilot, screen)
        assert screen.query_one("#backup-snapshots", DataTable).row_count == 1

        await pilot.press("D")  # the view's own key; `d` is the mart docs everywhere
        await wait_idle(pilot, screen)
        assert "restore drill passed" in str(screen.query_one("#backup-status", Static).content)
        assert read_status(settings)["last_drill"]["ok"] is True

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BackupScreen)
