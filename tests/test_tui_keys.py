"""The console's key map: one meaning per key, `?` showing the footer of the screen in front,
remaps by binding id, an unknown id reported, and docs/console-keys.md matching the bindings."""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from lakeconsole.core.applog import ROOT, setup_logging
from lakeconsole.core.console_prefs import prefs_path
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.keys import CHOOSE, LEAVE, all_bindings, markdown_table, meaning
from lakeconsole.tui.modals import ConfirmScreen
from lakeconsole.tui.screens.backup import BackupScreen
from lakeconsole.tui.screens.maintenance import MaintenanceScreen
from lakeconsole.tui.screens.marts import MartsScreen
from lakeconsole.tui.screens.table_history import TableHistoryScreen
from lakeconsole.tui.screens.table_version import TableVersionScreen
from lakeconsole.tui.screens.tables import TablesScreen
from tests.explorer_fixtures import orders_table
from tests.test_tui_console import wait_for
from tests.tui_fixtures import SYNTHETIC, fixed_findings, fixed_upkeep, synthetic_pipeline

SIZE = (80, 24)
DOC = Path(__file__).resolve().parents[1] / "docs" / "console-keys.md"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    orders_table(settings.data_dir / "silver" / "orders")
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


def make_app(settings: Settings) -> ConsoleApp:
    return ConsoleApp(settings, synthetic_pipeline(), upkeep=fixed_upkeep, findings=fixed_findings)


def rows_loaded(app: ConsoleApp, selector: str) -> bool:
    table = app.screen.query_one(selector, DataTable)
    return not table.loading and table.row_count > 0


def footer_keys(screen: Screen[object]) -> dict[str, str]:
    """action → the key the footer shows for it (the command palette aside)."""
    return {
        key.action: key.key_display
        for key in screen.query(FooterKey)
        if not key.has_class("-command-palette")
    }


# --- one meaning per key ---------------------------------------------------------------------


def test_no_key_has_two_meanings_anywhere_in_the_console() -> None:
    meanings: defaultdict[str, set[str]] = defaultdict(set)
    for entry in all_bindings():
        for key in entry.keys:
            meanings[key].add(meaning(entry.binding_id))
    shared = {"escape": LEAVE, "enter": CHOOSE}
    clashes = {
        key: sorted(found)
        for key, found in meanings.items()
        if len(found) > 1 and not found <= shared.get(key, frozenset())
    }
    assert clashes == {}


def test_an_action_has_the_same_keys_on_every_screen() -> None:
    keys: defaultdict[str, set[tuple[str, ...]]] = defaultdict(set)
    for entry in all_bindings():
        keys[meaning(entry.binding_id)].add(entry.keys)
    assert {m: sorted(k) for m, k in keys.items() if len(k) > 1} == {}
    assert keys["restore"] == {("R",)} and keys["refresh"] == {("ctrl+r",)}
    assert keys["drill"] == {("D",)}


def test_every_binding_has_an_id_and_no_two_screens_share_one_by_accident() -> None:
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for entry in all_bindings():
        owners[entry.binding_id].add(entry.owner)
    # `help` opens and closes the help, `quit` quits from it too: one remap moves both; `/`
    # filters the list of each screen that has one.
    assert {i: o for i, o in owners.items() if len(o) > 1} == {
        "help": {"ConsoleApp", "HelpScreen"},
        "quit": {"ConsoleApp", "HelpScreen"},
        "filter": {"DashboardScreen", "TablesScreen", "TableHistoryScreen", "TableVersionScreen"},
    }


# --- `?` shows the screen in front -----------------------------------------------------------


async def help_matches_footer(
    pilot: Pilot[int], app: ConsoleApp, key: str = "question_mark"
) -> str:
    """Open `?` on the screen in front; its footer keys are what the help lists. → help text."""
    screen = app.screen
    # The footer redraws a frame after the bindings change (a list done loading takes focus).
    footer: dict[str, str] = {}
    for _ in range(40):
        await pilot.pause(0.05)
        if footer and footer == footer_keys(screen):
            break
        footer = footer_keys(screen)
    assert footer, f"no footer on {type(screen).__name__}"
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), f"? on {screen}")
    help_screen = app.screen
    assert isinstance(help_screen, HelpScreen)
    listed = {row.action: row.keys.split(", ") for row in help_screen.rows if row.in_footer}
    assert set(listed) == set(footer), type(screen).__name__
    for action, shown in footer.items():
        assert listed[action][0] == shown, (type(screen).__name__, action)
    keys = help_screen.query_one("#help-keys", Static)
    text = str(keys.render())
    # Nothing cut or wrapped at 80 columns: every row fits the dialog.
    assert max(len(line) for line in text.splitlines()) <= keys.content_size.width
    for row in help_screen.rows:
        assert row.description in text
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is screen, "the help closed")
    return text


async def test_question_mark_lists_exactly_the_footer_keys_of_every_screen(
    settings: Settings,
) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        text = await help_matches_footer(pilot, app)
        assert "Run the whole pipeline" in text and "Vacuum every table" not in text

        await pilot.press("t")
        await wait_for(pilot, lambda: rows_loaded(app, "#tables-list"), "the tables")
        assert isinstance(app.screen, TablesScreen)
        assert "Open a table by path" in await help_matches_footer(pilot, app)

        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TableHistoryScreen) and rows_loaded(app, "#history-list")
            ),
            "the history",
        )
        text = await help_matches_footer(pilot, app)
        # The walk-through's complaint: the footer said Restore / Compare, `?` said Run / Cancel.
        assert "R  " in text and "Restore the table" in text and "Compare marked" in text

        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TableVersionScreen) and rows_loaded(app, "#version-rows")
            ),
            "a version",
        )
        assert "Next page of rows" in await help_matches_footer(pilot, app)

        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceScreen), "maintenance")
        text = await help_matches_footer(pilot, app)
        for what in ("Vacuum the table", "Vacuum every", "Compact", "Z-ORDER", "Stop after"):
            assert what in text

        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BackupScreen), "backup")
        assert "Restore drill" in await help_matches_footer(pilot, app)

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, MartsScreen), "the mart docs")
        # F1 too, since `?` is typed into the README editor when it has the focus.
        assert "New mart from the template" in await help_matches_footer(pilot, app, key="f1")


# --- remaps ----------------------------------------------------------------------------------


async def test_a_screen_binding_remapped_by_id_works_and_shows_in_footer_and_help(
    settings: Settings,
) -> None:
    keymap = "history.restore=u;tables.open-path=ctrl+o"
    app = make_app(dataclasses.replace(settings, console_keymap=keymap))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: rows_loaded(app, "#tables-list"), "the tables")
        # The status line's hint names the key as bound now.
        status = str(app.screen.query_one("#tables-status", Static).content)
        assert "^o: open another table by path" in status
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, TableHistoryScreen) and rows_loaded(app, "#history-list")
            ),
            "the history",
        )
        history = app.screen
        await pilot.pause()
        assert footer_keys(history)["restore"] == "u"
        text = await help_matches_footer(pilot, app)
        assert any(
            line.startswith("u ") and line.endswith("history.restore") for line in text.splitlines()
        )
        await pilot.press("R")  # the old key no longer restores
        await pilot.pause()
        assert app.screen is history
        await pilot.press("down", "u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("n")


async def test_an_unknown_keymap_id_is_reported_at_start_with_the_close_match(
    settings: Settings,
) -> None:
    setup_logging(settings)
    try:
        app = make_app(dataclasses.replace(settings, console_keymap="histroy.restore=u;run=x"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app._notifications, "a notification")
            (note,) = list(app._notifications)
            assert "'histroy.restore'" in note.message
            assert "did you mean 'history.restore'" in note.message
        logged = settings.log_file.read_text()
        assert "WARNING" in logged and "'histroy.restore'" in logged
    finally:
        for handler in list(logging.getLogger(ROOT).handlers):
            logging.getLogger(ROOT).removeHandler(handler)
            handler.close()


async def test_a_keymap_of_known_ids_reports_nothing(settings: Settings) -> None:
    app = make_app(dataclasses.replace(settings, console_keymap="history.restore=u;run=x"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: (
                not app.workers or all(w.is_finished for w in app.workers if w.group == "keymap")
            ),
            "the keymap check",
        )
        await pilot.pause(0.2)
        assert not list(app._notifications)


async def help_panels_text(pilot: Pilot[int], app: ConsoleApp) -> str:
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
    text = str(app.screen.query_one("#help-panels", Static).render())
    await pilot.press("escape")
    return text


async def test_help_names_the_files_this_console_reads_its_keymap_from(
    settings: Settings,
) -> None:
    """`?` says where "the keymap file" is: the real .env and user config this console reads,
    which keymap is in use and from where, and where every key is documented."""
    user_config = prefs_path(settings.raw)
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text('keymap = "run=x"\n')
    async with make_app(settings).run_test(size=SIZE) as pilot:
        text = await help_panels_text(pilot, pilot.app)  # type: ignore[arg-type]
        assert pilot.app.screen.active_bindings["x"].binding.action == "run"
    assert str(settings.home / ".env") in text and "CONSOLE_KEYMAP=" in text
    assert str(user_config) in text and 'keymap = "' in text
    assert f"Keymap in use: run=x (from {user_config})" in text
    assert "docs/console-keys.md" in text
    # CONSOLE_KEYMAP (in .env or the environment) wins over the user config: help says so.
    chosen = dataclasses.replace(settings, console_keymap="run=R")
    async with make_app(chosen).run_test(size=SIZE) as pilot:
        text = await help_panels_text(pilot, pilot.app)  # type: ignore[arg-type]
    assert "Keymap in use: run=R (from CONSOLE_KEYMAP" in text
    user_config.unlink()
    async with make_app(settings).run_test(size=SIZE) as pilot:
        text = await help_panels_text(pilot, pilot.app)  # type: ignore[arg-type]
    assert "Keymap in use: none (the default keys)" in text


# --- the documented key map ------------------------------------------------------------------


def test_docs_console_keys_holds_the_table_of_the_live_bindings() -> None:
    text = DOC.read_text()
    assert markdown_table() in text, (
        "docs/console-keys.md is out of date: python -m lakeconsole.tui.keys prints the table"
    )


def test_readme_links_the_key_map() -> None:
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "docs/console-keys.md" in readme


async def test_the_command_palette_and_hints_name_the_remapped_keys(settings: Settings) -> None:
    app = make_app(dataclasses.replace(settings, console_keymap="run=x;run-from=F"))
    async with app.run_test(size=SIZE) as pilot:
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Run the pipeline"].endswith("(x)")
        app.set_focus(None)
        app.board.dag.selected = None  # type: ignore[union-attr]
        await pilot.press("F")  # nothing selected: the hint says how, with the key as bound now
        assert any(n.message.endswith("then press F.") for n in app._notifications)


async def test_q_quits_from_the_help_as_it_does_everywhere(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0
