"""Keys a user cannot find in a full footer are named where they act, as bound now; a dialog
shows its own keys, not the footer of the screen below; `?` names the files keys are remapped in."""

from __future__ import annotations

import dataclasses

from textual.widgets import Label, Static

from lakeconsole.core.console_prefs import prefs_path
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.modals import ConfirmScreen, ErrorScreen
from tests.test_tui_console import wait_for
from tests.test_tui_keys import footer_keys, make_app, settings  # noqa: F401  (the fixture)

SIZE = (80, 24)


async def test_the_dashboard_names_the_runs_find_and_level_keys_off_its_footer(
    settings: Settings,  # noqa: F811
) -> None:
    keymap = "runs=U;filter=ctrl+f;log-level=ctrl+l;auto-run=A"
    app = make_app(dataclasses.replace(settings, console_keymap=keymap))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = app.board
        assert str(board.query_one("#runs-hint", Label).render()) == "U: runs"
        assert board.query_one(LogPanel).border_subtitle == "^f: find · ^l: level"
        assert (board.query_one(LandingPanel).border_subtitle or "").startswith("A: auto-run")
        await pilot.press("U")  # the key named is the key that works
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RunsScreen", "the runs view")


async def test_a_dialog_shows_its_own_keys_not_the_console_footer_below(
    settings: Settings,  # noqa: F811
) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "run" in footer_keys(app.screen)  # the dashboard's footer, before the dialog
        app.push_screen(ConfirmScreen("Restore version 1?"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.pause()
        assert footer_keys(app.screen) == {"answer(True)": "y", "answer(False)": "n"}
        await pilot.press("n")
        app.push_screen(ErrorScreen("it failed"))
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error")
        await pilot.pause()
        assert footer_keys(app.screen) == {"close": "esc"}


async def test_help_names_the_files_a_keymap_is_read_from(
    settings: Settings,  # noqa: F811
) -> None:
    app: ConsoleApp = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")
        text = str(app.screen.query_one("#help-panels", Static).render())
        assert f"{settings.home / '.env'}:  CONSOLE_KEYMAP=" in text
        assert f"{prefs_path(settings.raw)}:  keymap = " in text
        assert "docs/console-keys.md" in text
