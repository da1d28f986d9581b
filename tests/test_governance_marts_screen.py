"""The mart docs view through Pilot: README state, save with section check, external changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Markdown, Static, TextArea

from lakeconsole.core.settings import Settings
from lakeconsole.tui.modals import ConfirmScreen
from lakeconsole.tui.screens.marts import MartsScreen
from tests.governance_fixtures import COMPLETE_README, REPO, make_mart

WITHOUT_OWNER = COMPLETE_README.replace("## Owner\n\nCFO Office\n", "")


class Host(App[None]):
    """The smallest app that opens the view, as the console does on `d`."""

    CSS_PATH = str(REPO / "tui" / "console.tcss")  # the dialogs' styles

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(MartsScreen(self.settings))


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until the condition holds (workers and the file watcher need a moment)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def marts_screen(pilot: Pilot[None]) -> MartsScreen:
    screen = pilot.app.screen_stack[1]
    assert isinstance(screen, MartsScreen)
    return screen


def editor(pilot: Pilot[None]) -> TextArea:
    return marts_screen(pilot).query_one("#marts-editor", TextArea)


def readme_labels(pilot: Pilot[None]) -> dict[str, str]:
    table = marts_screen(pilot).query_one("#marts-list", DataTable)
    cells = [table.get_row_at(i) for i in range(table.row_count)]
    return {str(name): str(label) for name, label in cells}


def status(pilot: Pilot[None]) -> str:
    return str(marts_screen(pilot).query_one("#marts-status", Static).render())


def notices(pilot: Pilot[None]) -> list[str]:
    return [n.message for n in pilot.app._notifications]


async def opened(pilot: Pilot[None], text: str | None = None) -> None:
    await until(pilot, lambda: marts_screen(pilot).current is not None)
    if text is not None:
        await until(pilot, lambda: editor(pilot).text == text)
    # The watcher must be running before a test changes files behind the console's back.
    await pilot.pause(0.3)


async def test_marts_are_listed_with_their_readme_state(settings: Settings) -> None:
    make_mart(settings.data_dir, "sales")
    make_mart(settings.data_dir, "finance", readme=None)
    make_mart(settings.data_dir, "ops", readme=WITHOUT_OWNER)
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: len(readme_labels(pilot)) == 3)
        assert readme_labels(pilot) == {
            "finance": "missing README.md",
            "ops": "1 section to fill",  # which one: the status line, when it is open
            "sales": "complete",
        }


async def test_save_without_owner_saves_and_names_the_missing_section(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        assert "complete" in status(pilot)
        editor(pilot).load_text(WITHOUT_OWNER)
        await pilot.pause()
        assert "unsaved changes" in status(pilot)
        assert "missing sections: Owner" in status(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (mart / "README.md").read_text() == WITHOUT_OWNER
        assert any("incomplete" in n and "Owner" in n for n in notices(pilot))
        assert readme_labels(pilot)["sales"] == "1 section to fill"
        assert "unsaved" not in status(pilot)


async def test_typing_the_missing_section_completes_the_readme(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales", readme=WITHOUT_OWNER)
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, WITHOUT_OWNER)
        assert readme_labels(pilot)["sales"] == "1 section to fill"
        area = editor(pilot)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*"## Owner", "enter", *"CFO")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (mart / "README.md").read_text().endswith("## Owner\nCFO")
        assert readme_labels(pilot)["sales"] == "complete"
        assert any("all required sections present" in n for n in notices(pilot))


async def test_preview_follows_the_editor(settings: Settings) -> None:
    make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        preview = marts_screen(pilot).query_one("#marts-preview", Markdown)
        await until(pilot, lambda: "CFO Office" in preview.source)
        editor(pilot).load_text(COMPLETE_README.replace("CFO Office", "Head of Sales"))
        await until(pilot, lambda: "Head of Sales" in preview.source)


async def test_a_change_made_outside_is_loaded_when_nothing_is_unsaved(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        (mart / "README.md").write_text(WITHOUT_OWNER)
        await until(pilot, lambda: editor(pilot).text == WITHOUT_OWNER)
        await until(pilot, lambda: readme_labels(pilot)["sales"] == "1 section to fill")


async def test_a_conflicting_change_asks_and_keep_mine_keeps_the_edit(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales")
    mine = COMPLETE_README + "\nMy notes.\n"
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        editor(pilot).load_text(mine)
        (mart / "README.md").write_text(WITHOUT_OWNER)
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert editor(pilot).text == mine  # nothing overwritten while asking
        await pilot.press("n")  # keep mine
        await pilot.pause()
        assert editor(pilot).text == mine
        assert (mart / "README.md").read_text() == WITHOUT_OWNER
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (mart / "README.md").read_text() == mine


async def test_a_conflicting_change_can_load_theirs(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        editor(pilot).load_text(COMPLETE_README + "\nMine.\n")
        (mart / "README.md").write_text(WITHOUT_OWNER)
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")  # load theirs
        await until(pilot, lambda: editor(pilot).text == WITHOUT_OWNER)
        assert "unsaved" not in status(pilot)


async def test_leaving_with_unsaved_edits_asks_first(settings: Settings) -> None:
    make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        editor(pilot).load_text("# changed\n")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(pilot.app.screen, MartsScreen)


async def test_ctrl_g_writes_the_column_dictionary_into_the_editor(settings: Settings) -> None:
    mart = make_mart(settings.data_dir, "sales")
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await opened(pilot, COMPLETE_README)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: "| `order_id` | string |" in editor(pilot).text)
        assert editor(pilot).text.startswith(COMPLETE_README)  # the user's text is kept
        assert (mart / "README.md").read_text() == COMPLETE_README  # not saved until ctrl+s


async def test_new_mart_starts_from_the_template(settings: Settings) -> None:
    async with Host(settings).run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"finance", "enter")
        await until(pilot, lambda: "finance" in readme_labels(pilot))
        readme = Path(settings.data_dir / "gold" / "finance" / "README.md").read_text()
        assert "## Business Definition" in readme and "## Owner" in readme
        assert readme_labels(pilot)["finance"].endswith("to fill")
