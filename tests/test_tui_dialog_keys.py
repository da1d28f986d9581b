"""A dialog shows its own keys in the bottom row, never the footer of the screen under it (whose
keys do nothing while the dialog is open): the confirmation, the error, `?`, and the dialogs the
views open (a comparison), at 80×24 and 120×40."""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets._footer import FooterKey

from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.modals import ConfirmScreen, ErrorScreen
from tests.screen_walks import layout_lake, open_compare, open_help, until
from tests.test_tui_snapshots import console, settle
from tests.tui_fixtures import Controls

CELL_WIDTH = 12.2  # x of one terminal column in Textual's screenshots
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def bottom_row(app: ConsoleApp) -> str:
    """The terminal's last line as the user sees it (every screen drawn, the dialog on top)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m[2]), []).append((float(m[1]), html.unescape(m[3])))
    line = ""
    for x, text in sorted(rows[max(rows)]):
        line = line.ljust(round(x / CELL_WIDTH)) + text  # a gap between keys is not a <text>
    return line.replace("\xa0", " ").strip()


def dialog_keys(app: ConsoleApp) -> list[str]:
    return [f"{key.key_display} {key.description}" for key in app.screen.query(FooterKey)]


async def confirm(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    # The footer says what the buttons say.
    question = ConfirmScreen("Restore the lake?", confirm="Restore", cancel="Keep", danger=True)
    app.push_screen(question)
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")


async def failed_run(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ErrorScreen), "the failure dialog")


DIALOGS = {
    "confirm": (confirm, ["y Restore", "n Keep"]),
    "error": (failed_run, ["esc Close"]),
    "help": (open_help, ["esc Close"]),
    "compare": (open_compare, ["esc Close"]),
}


@SIZES
@pytest.mark.parametrize("dialog", sorted(DIALOGS))
async def test_a_dialog_shows_its_own_keys_not_the_footer_under_it(
    settings: Settings, size: tuple[int, int], dialog: str
) -> None:
    walk, keys = DIALOGS[dialog]
    app = console(settings, Controls(fail_bronze=dialog == "error"))
    async with app.run_test(size=size) as pilot:
        await walk(pilot, app)
        await pilot.pause(0.1)
        assert isinstance(app.screen, ModalScreen)
        shown = dialog_keys(app)
        assert all(key in shown for key in keys), shown
        line = bottom_row(app)
        assert line.startswith(" ".join(shown)), line
        for word in ("Run", "Tables", "Quit", "Back"):  # the console's keys, dead here
            assert f" {word}" not in f" {line}", line


async def test_a_confirmation_relabelled_still_answers_to_its_remapped_keys(
    settings: Settings,
) -> None:
    app = console(dataclasses.replace(settings, console_keymap="confirm.yes=j"))
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.push_screen(ConfirmScreen("Vacuum now?", confirm="Vacuum"), answers.append)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.pause(0.1)
        assert sorted(dialog_keys(app)) == ["j Vacuum", "n No"]  # a remapped key comes last
        await pilot.press("j")
        await until(pilot, lambda: answers == [True], "the answer")
