"""Every screen laid out for 80×24 and for large terminals: footers whole, the mart editor and its
preview usable at 80×24, editor lines navigated as they are seen, `?` not hidden by a toast."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Markdown, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.keys import screen_keys
from lakeconsole.tui.screens.maintenance import MaintenanceScreen
from lakeconsole.tui.screens.marts import MartsScreen
from tests.screen_walks import VIEWS, layout_lake, open_history, open_marts, until
from tests.test_tui_snapshots import console, settle

SMALL, LARGE = (80, 24), (120, 40)
LONG_LINE = "A paragraph written on one line, as many editors save it. " * 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def footer_keys(app: ConsoleApp) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


def own_keys(app: ConsoleApp) -> set[str]:
    """What the footer must show: the view's own keys (and its focused widget's)."""
    return {
        active.binding.description
        for active in app.screen.active_bindings.values()
        if active.binding.show and not isinstance(active.node, App)
    }


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
@pytest.mark.parametrize("view", sorted(VIEWS))
async def test_every_view_shows_its_whole_footer(
    settings: Settings, size: tuple[int, int], view: str
) -> None:
    app = console(settings)
    async with app.run_test(size=size) as pilot:
        await VIEWS[view](pilot, app)
        keys = footer_keys(app)
        shown = {key.description for key in keys}
        assert own_keys(app) | {"Help"} <= shown
        width = size[0]
        cut = [key.description for key in keys if key.region.right > width or not key.region]
        assert not cut, f"cut off the {view} footer at {width} columns: {cut}"


async def test_the_console_keys_still_work_on_a_view_and_help_lists_them(
    settings: Settings,
) -> None:
    app = console(settings)
    async with app.run_test(size=SMALL) as pilot:
        await open_history(pilot, app)
        assert "Run" not in {key.description for key in footer_keys(app)}
        rows = {row.binding_id: row for row in screen_keys(app.screen)}
        assert rows["run"].keys == "r" and not rows["run"].in_footer
        assert rows["history.open"].in_footer
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MaintenanceScreen), "maintenance")


def marts(app: ConsoleApp) -> MartsScreen:
    assert isinstance(app.screen, MartsScreen)
    return app.screen


async def test_at_80x24_the_mart_list_is_above_and_editor_and_preview_take_turns(
    settings: Settings,
) -> None:
    app = console(settings)
    async with app.run_test(size=SMALL) as pilot:
        await open_marts(pilot, app)
        screen = marts(app)
        editor = screen.query_one(TextArea)
        preview = screen.query_one("#marts-preview-box")
        listing = screen.query_one("#marts-list")
        assert listing.region.bottom <= editor.region.y  # above, not beside
        assert editor.region.width >= 76 and editor.region.height >= 12
        assert not preview.region  # one pane at a time
        assert "^t: preview" in str(screen.query_one("#marts-status").render())

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not editor.region
        assert preview.region.width >= 76
        assert "Mart" in str(screen.query_one(Markdown).source)
        assert "^t: editor" in str(screen.query_one("#marts-status").render())

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert editor.region.width >= 76 and editor.has_focus


async def test_at_120x40_the_editor_sits_beside_its_preview_which_ctrl_t_hides(
    settings: Settings,
) -> None:
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_marts(pilot, app)
        screen = marts(app)
        editor = screen.query_one(TextArea)
        preview = screen.query_one("#marts-preview-box")
        assert editor.region.y == preview.region.y
        assert editor.region.width > preview.region.width > 25
        beside = editor.region.width

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not preview.region
        assert editor.region.width > beside + 30  # fewer lines wrap


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
async def test_editor_lines_move_as_they_are_seen_when_wrapped(
    settings: Settings, size: tuple[int, int]
) -> None:
    (settings.data_dir / "gold" / "sales" / "README.md").write_text(f"# Sales\n{LONG_LINE}\nend\n")
    app = console(settings)
    async with app.run_test(size=size) as pilot:
        await open_marts(pilot, app)
        editor = marts(app).query_one(TextArea)
        editor.focus()
        await pilot.press("down")  # onto the long line, wrapped over several screen rows
        top = editor.cursor_screen_offset.y
        await pilot.press("down")
        assert editor.cursor_location[0] == 1, "Down left the wrapped line for the next one"
        assert editor.cursor_screen_offset.y == top + 1
        await pilot.press("end")
        row, column = editor.cursor_location
        assert (row, editor.cursor_screen_offset.y) == (1, top + 1)
        assert column < len(LONG_LINE), "End went past the row the user sees"
        await pilot.press("up")
        assert editor.cursor_screen_offset.y == top


async def test_a_warning_toast_does_not_cover_the_keys_at_80x24(settings: Settings) -> None:
    app = console(settings)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot, app)
        app.notify("CONSOLE_KEYMAP: no key has the id 'rnu'", severity="warning", timeout=30)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")
        box = app.screen.query_one(".help-box")
        toasts = list(app.screen.query(Toast))
        assert toasts, "the toast was never on the help screen: this test would prove nothing"
        assert not any(toast.region.overlaps(box.region) for toast in toasts)

        await pilot.press("escape")
        await until(pilot, lambda: any(t.region for t in app.screen.query(Toast)), "toast back")
