"""A key pressed when it has nothing to act on says so, and an idle view shows no progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Label, ProgressBar, Static

from lakeconsole.core.maintenance.vacuum import VacuumPlan
from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.backup import BackupScreen
from lakeconsole.tui.screens.maintenance import MaintenanceScreen, VacuumPreviewScreen
from tests.test_tui_charts import ViewHost
from tests.test_tui_console import wait_for


@pytest.mark.parametrize(
    ("view", "status"),
    [(MaintenanceScreen, "#maintenance-status"), (BackupScreen, "#backup-status")],
    ids=["maintenance", "backup"],
)
async def test_stop_with_nothing_running_says_so(
    settings: Settings, view: type[Any], status: str
) -> None:
    app = ViewHost(settings, view)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, view), view.__name__)
        await pilot.pause(0.3)
        await pilot.press("x")
        await wait_for(
            pilot,
            lambda: "nothing running to stop" in str(app.screen.query_one(status, Static).content),
            f"x on {view.__name__}",
        )


async def test_the_backup_view_shows_no_progress_bar_while_idle(settings: Settings) -> None:
    app = ViewHost(settings, BackupScreen)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, BackupScreen), "the backup view")
        await pilot.pause(0.3)
        assert not app.screen.query_one("#backup-progress", ProgressBar).display


class PreviewHost(App[None]):
    def __init__(self, plans: list[VacuumPlan]) -> None:
        super().__init__()
        self.plans = plans

    def on_mount(self) -> None:
        self.push_screen(VacuumPreviewScreen(self.plans))


async def test_a_vacuum_preview_with_nothing_to_delete_says_what_vacuum_still_does() -> None:
    plan = VacuumPlan(Path("/lake/silver/t"), "silver/t", 168, None, False, "", False, ())
    app = PreviewHost([plan])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(".dialog-title"), "the preview")
        title = str(app.screen.query_one(".dialog-title", Label).render())
        assert title.startswith("VACUUM: nothing to delete; Vacuum records")
