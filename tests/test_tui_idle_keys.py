"""A key pressed when it has nothing to act on says so, and an idle view shows no progress bar."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import ProgressBar, Static

from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.backup import BackupScreen
from lakeconsole.tui.screens.maintenance import MaintenanceScreen
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
