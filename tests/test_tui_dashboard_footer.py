"""The dashboard's footer holds as many of its keys as fit, the most useful first: the runs view
(`u`) at 80 columns too, and at 120 also `/` (find in the log), `s` (step times), `a`
(auto-run) and `L` (log level); `c` (cancel) while a run goes, where `f` gives way at 80. The footer stays whole,
follows a resize and a run's start and end, and `?` says which keys it holds. The log
panel names its own keys on its border, remaps included."""

from __future__ import annotations

import dataclasses
import re
import threading

import pytest
from textual.widgets._footer import FooterKey

from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from tests.screen_walks import layout_lake
from tests.test_tui_keys import help_matches_footer
from tests.test_tui_snapshots import console, settle
from tests.tui_fixtures import Controls


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def footer(app: ConsoleApp) -> list[str]:
    """The footer's keys as the user reads them, after checking none is cut at the edge."""
    keys = list(app.screen.query(FooterKey))
    cut = [k.description for k in keys if not k.region or k.region.right > app.size.width]
    assert not cut, f"cut off the dashboard footer at {app.size.width} columns: {cut}"
    return [f"{k.key_display} {k.description}" for k in keys]


def dashboard_keys(app: ConsoleApp) -> set[str]:
    """Every key a user can press on the dashboard (its own and the console's)."""
    return {active.binding.id for active in app.board.active_bindings.values() if active.binding.id}


@pytest.mark.parametrize(
    ("width", "expected", "not_room_for"),
    [
        (80, ["r Run", "f From", "t Tables", "u Runs", "l Logs", "? Help", "q Quit"], ["c Cancel"]),
        (120, ["u Runs", "/ Filter", "s Steps", "a Auto-run", "L Level", "q Quit", "? Help"], []),
    ],
    ids=["80x24", "120x40"],
)
async def test_the_dashboard_footer_lists_the_keys_that_fit_most_useful_first(
    settings: Settings, width: int, expected: list[str], not_room_for: list[str]
) -> None:
    app = console(settings)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot, app)
        shown = footer(app)
        assert all(key in shown for key in expected), shown
        assert not any(key in shown for key in not_room_for), shown
        # The log panel's keys on its border, as the latency and landing panels name theirs.
        assert app.board.log_panel.border_subtitle == "/: filter · L: level"
        # Every key of the dashboard is findable: in the footer, or listed by `?`.
        text = await help_matches_footer(pilot, app)
        listed = {line.split()[-1] for line in text.splitlines() if line.strip()}
        assert dashboard_keys(app) <= listed
        # `/` here finds log lines: `?` says so (there is no list on the dashboard).
        assert "Find log lines (Enter: apply)" in text


async def test_the_dashboard_footer_refits_when_the_terminal_is_resized(
    settings: Settings,
) -> None:
    app = console(settings)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot, app)
        assert "s Steps" in footer(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        small = footer(app)
        assert "s Steps" not in small and "u Runs" in small
        await pilot.resize_terminal(120, 24)
        await pilot.pause(0.2)
        assert "s Steps" in footer(app)


async def test_the_log_panel_names_its_keys_as_remapped(settings: Settings) -> None:
    app = console(dataclasses.replace(settings, console_keymap="filter=ctrl+f;log-level=v"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.board.log_panel.border_subtitle == "^f: filter · v: level"


async def test_while_a_run_goes_the_footer_holds_cancel_and_gives_it_back_after(
    settings: Settings,
) -> None:
    gate = threading.Event()
    app = console(settings, Controls(gate=gate))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            await pilot.press("r")
            await settle(pilot, app, lambda: app.board.view.steps["bronze_orders"].done == 6)
            running = footer(app)
            assert "c Cancel" in running and "f From" not in running, running
            assert "r Run" in running and "q Quit" in running
            text = await help_matches_footer(pilot, app)
            not_in_footer = text.split("not in the footer")[1]
            assert re.search(r"^f +Run from the selected step onwards", not_in_footer, re.M)
            gate.set()
            await settle(pilot, app, lambda: not app.run_active)
            await pilot.pause(0.2)
            idle = footer(app)
            assert "f From" in idle and "c Cancel" not in idle, idle
    finally:
        gate.set()


async def test_the_landing_panel_names_the_auto_run_key_as_remapped(settings: Settings) -> None:
    from lakeconsole.tui.landing import LandingPanel

    app = console(dataclasses.replace(settings, console_keymap="auto-run=A"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        subtitle = app.board.query_one(LandingPanel).border_subtitle or ""
        assert subtitle.startswith("A: auto-run")
