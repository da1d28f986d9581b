"""The console's table restore takes the lake's lock too: refused, in one status line, while a
run holds it (here the run's lock is a real flock taken in this process on its own file)."""

from __future__ import annotations

from deltalake import DeltaTable

from lakeconsole.core.lock import RunLock
from lakeconsole.core.settings import Settings
from lakeconsole.tui.modals import ConfirmScreen
from tests.explorer_fixtures import orders_table
from tests.test_explorer_screen import SIZE, ExplorerApp, open_history, status, wait_for


async def test_console_restore_while_a_run_holds_the_lock_is_refused(settings: Settings) -> None:
    path = orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    with RunLock(settings.state_dir, "run-held", "lakeconsole run"):
        async with app.run_test(size=SIZE) as pilot:
            await open_history(pilot, app)
            await pilot.press("down", "down", "down", "R")  # version 1
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            await pilot.press("y")
            await wait_for(
                pilot, lambda: "already going" in status(app, "#history-status"), "the refusal"
            )
            line = status(app, "#history-status")
    assert "A run is already going on this lake: process" in line
    assert "(lakeconsole run, run run-held" in line
    assert DeltaTable(path).version() == 4  # nothing committed
