"""Findings of the key-by-key walk of every screen at 120×40 (docs/walkthrough-120x40.md): each
test shows what a user saw go wrong there (a key the footer offers that would be typed, a hint
naming a key that does something else, a panel that stays stale, text cut with room to spare)."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import threading
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TextArea
from textual.widgets._footer import FooterKey

from lakeconsole.core.dag import Pipeline, Step, StepContext, StepResult
from lakeconsole.core.runs import RunRecord, StepRecord, new_run_id, runs_dir
from lakeconsole.core.settings import Settings
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.screens.runs import RunsScreen
from lakeconsole.tui.screens.tables import TablesScreen
from lakeconsole.tui.summary import UpkeepPanel
from tests.screen_walks import (
    layout_lake,
    open_history,
    open_marts,
    open_tables,
    open_version,
    until,
)
from tests.test_tui_snapshots import console, settle
from tests.tui_fixtures import (
    FIXED_NOW,
    Controls,
    fixed_clock,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

LARGE = (120, 40)
CELL_WIDTH = 12.2  # x of one terminal column in Textual's screenshots


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def screen_lines(app: ConsoleApp) -> list[str]:
    """The terminal's lines as the user sees them (every screen drawn, dialogs on top)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m[2]), []).append((float(m[1]), html.unescape(m[3])))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / CELL_WIDTH)) + text
        lines.append(line.replace("\xa0", " ").rstrip())
    return lines


def footer_keys(app: ConsoleApp) -> list[str]:
    return [f"{key.key_display} {key.description}" for key in app.screen.query(FooterKey)]


def notes(app: ConsoleApp) -> list[str]:
    return [n.message for n in app._notifications]


# --- a footer offers only keys that do what it says ---------------------------------------


async def test_while_typing_a_log_filter_the_footer_offers_no_key_that_would_be_typed(
    settings: Settings,
) -> None:
    """In the filter bar `/` and `?` are typed into the text: the footer said `/ Filter` and
    `? Help` there. F1 still opens the keys, so that is the help key the footer names."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.pause(0.2)
        keys = footer_keys(app)
        assert "/ Filter" not in keys and "? Help" not in keys, keys
        assert "f1 Help" in keys and "esc Clear" in keys, keys
        await pilot.press("slash", "question_mark")
        assert app.board.query_one("#log-filter").value == "/?"  # type: ignore[attr-defined]
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")


async def test_while_typing_a_table_path_the_footer_offers_no_key_that_would_be_typed(
    settings: Settings,
) -> None:
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_tables(pilot, app)
        await pilot.press("p")
        await pilot.pause(0.2)
        keys = footer_keys(app)
        assert "/ Filter" not in keys and "? Help" not in keys, keys
        assert "f1 Help" in keys, keys


async def test_in_the_mart_editor_the_footer_names_f1_for_the_keys(settings: Settings) -> None:
    """`?` types a question mark into the README: the footer said `? Help` there."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_marts(pilot, app)
        app.screen.query_one(TextArea).focus()
        await pilot.pause(0.2)
        keys = footer_keys(app)
        assert "? Help" not in keys and "f1 Help" in keys, keys


async def test_the_dashboard_footer_holds_the_log_level_key_at_120_columns(
    settings: Settings,
) -> None:
    """At 120 columns every dashboard key but `L` fitted: `L` was in `?` only."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app)
        keys = list(app.screen.query(FooterKey))
        assert all(k.region and k.region.right <= 120 for k in keys)
        shown = footer_keys(app)
        assert "L Level" in shown, shown
        assert len(shown) == 15, shown  # every key of the dashboard


# --- a hint names the key that does it ----------------------------------------------------


async def test_compare_on_version_0_names_the_mark_key(settings: Settings) -> None:
    """It said 'mark a version with m first': `m` opens maintenance; marking is space."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_history(pilot, app)
        table = app.screen.query_one("#history-list", DataTable)
        table.move_cursor(row=table.row_count - 1)  # version 0
        await pilot.press("C")
        await until(pilot, lambda: notes(app), "a notice")
        (note,) = notes(app)
        assert "with space first" in note and " m " not in note, note


async def test_previous_rows_on_the_first_page_says_so(settings: Settings) -> None:
    """`>` on the last page says so and `[` on the oldest version too; `<` on the first page
    did nothing at all."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_version(pilot, app)
        await pilot.press("less_than_sign")
        await until(pilot, lambda: notes(app), "a notice")
        assert notes(app) == ["That is the first page."]


async def test_quitting_during_a_run_names_the_quit_key_as_remapped(settings: Settings) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate, ignore_cancel=True)  # bronze holds on: the run still goes
    app = console(dataclasses.replace(settings, console_keymap="quit=Q"), controls)
    try:
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot, app)
            await pilot.press("r")
            await settle(pilot, app, lambda: app.board.view.steps["bronze_orders"].done == 6)
            await pilot.press("Q")
            await pilot.pause(0.2)
            status = str(app.board.query_one("#run-status", Static).render())
            assert "(Q: now)" in status, status
            gate.set()
    finally:
        gate.set()


async def test_maintenance_while_busy_names_the_stop_key_as_remapped(settings: Settings) -> None:
    app = console(dataclasses.replace(settings, console_keymap="maintenance.stop=X"))
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app)
        await pilot.press("m")
        await until(pilot, lambda: app.screen.id != "dashboard", "the maintenance view")
        app.screen.busy = True  # type: ignore[attr-defined]
        await pilot.press("o")
        await until(pilot, lambda: notes(app), "a notice")
        assert notes(app) == ["Still working: press X to stop it first"]


async def test_a_table_path_not_found_gives_no_command_line_advice(settings: Settings) -> None:
    """The console's own list is on the screen; it said "('lakeconsole tables' lists them)"."""
    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_tables(pilot, app)
        await pilot.press("p", *"nope/x", "enter")
        status = app.screen.query_one("#tables-status", Static)

        def said() -> str:
            return str(status.render())

        await until(pilot, lambda: "No table" in said(), "the answer")
        assert "lakeconsole tables" not in said(), said()
        assert "silver/shop_orders" in said()  # the lake's tables are still named
        assert isinstance(app.screen, TablesScreen)


# --- panels stay current ------------------------------------------------------------------


INGESTED = "ingested.txt"  # the ledger of this module's pipeline, outside the landing folder
HERE = "tests.test_tui_walk_120:steps"  # settings.pipeline: the landing hook below


def steps() -> list[Step]:
    return list(synthetic_pipeline().steps.values())


def landing_waiting(settings: Settings) -> set[str]:
    """As a real pipeline's ledger: a file bronze read stays in landing, named in the ledger."""
    ledger = settings.data_dir / INGESTED
    done = set(ledger.read_text().split()) if ledger.exists() else set()
    return {p.name for p in (settings.data_dir / "landing").iterdir() if p.name not in done}


def ingesting_pipeline(gate: threading.Event) -> Pipeline:
    """bronze records the landing files in its ledger (the folder does not change), then
    silver waits for `gate`."""
    base = synthetic_pipeline()
    bronze, silver = base.steps["bronze_orders"], base.steps["silver_orders"]

    def ingest(ctx: StepContext) -> StepResult:
        names = [p.name for p in (ctx.data_dir / "landing").iterdir()]
        (ctx.data_dir / INGESTED).write_text("\n".join(names))
        return bronze.run(ctx)

    def wait_then_silver(ctx: StepContext) -> StepResult:
        while not gate.wait(0.02):
            ctx.check_cancelled()
        return silver.run(ctx)

    runs = {"bronze_orders": ingest, "silver_orders": wait_then_silver}
    return Pipeline(
        [dataclasses.replace(s, run=runs.get(s.name, s.run)) for s in base.steps.values()]
    )


async def test_the_landing_panel_stops_counting_a_file_once_bronze_ingested_it(
    settings: Settings,
) -> None:
    """During a run the landing panel said '1 waiting' until the whole run ended, long after
    bronze had read the file."""
    gate = threading.Event()
    settings = dataclasses.replace(settings, pipeline=HERE)
    console(settings)  # seeds the lake: one landing file waiting
    app = ConsoleApp(
        settings,
        ingesting_pipeline(gate),
        clock=fixed_clock,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )
    try:
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot, app)
            landing = app.board.query_one(LandingPanel)
            assert landing.border_title == "Landing · 1 waiting"
            await pilot.press("r")
            await until(
                pilot,
                lambda: app.board.view.steps["bronze_orders"].state.value == "succeeded",
                "bronze done",
            )
            await until(pilot, lambda: landing.border_title == "Landing · 0 waiting", "0 waiting")
            assert app.run_active  # silver still waits: the run has not ended
    finally:
        gate.set()


# --- nothing cut with room to spare -------------------------------------------------------

LONG_UPKEEP = [
    UpkeepItem(
        "vacuum", None, False, "4 table(s) never vacuumed (each due 7 days after its first commit)"
    ),
    UpkeepItem(
        "retention", None, False, "no table keeps deleted files for less than the 168 h minimum"
    ),
    UpkeepItem("backup", None, True, "no BACKUP_TARGET set; never backed up: set it in .env"),
]


async def test_the_maintenance_panel_wraps_its_lines_when_the_screen_has_room(
    settings: Settings,
) -> None:
    """At 120×40 each item was cut to one line with an ellipsis (the fix it names lost) while
    the panel had room for every wrapped line; at 80×24 one line each still shows every item."""
    console(settings)  # seeds the lake
    app = ConsoleApp(
        settings,
        synthetic_pipeline(),
        clock=fixed_clock,
        upkeep=lambda _settings: LONG_UPKEEP,
        findings=lambda _settings: [],
    )
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app)
        text = " ".join(" ".join(screen_lines(app)).split())
        for item in LONG_UPKEEP:
            words = item.detail.split()
            assert " ".join(words[-4:]) in text, item.detail  # its end is on the screen
        panel = app.board.query_one(UpkeepPanel)
        assert not panel.border_subtitle  # nothing scrolled away
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        lines = screen_lines(app)
        assert not panel.border_subtitle  # every item shown
        # The rows left over go to the line with a fix to make first: its end is read.
        shown = str(panel.query_one(".upkeep-text", Static).content)
        assert "set it in .env" in " ".join(shown.split())
        assert sum("…" in line and ("vacuum" in line or "retention" in line) for line in lines) >= 1


async def test_more_maintenance_items_than_fit_wrapped_still_get_two_rows_each(
    settings: Settings,
) -> None:
    """Five items too long to wrap whole in the room 120×40 gives: they were cut to one row
    each (`never vacuumed (each due …`) with six rows of the panel left empty."""
    console(settings)  # seeds the lake
    many = [
        UpkeepItem(f"check{i}", None, False, "a long detail " * 8 + f"fix number {i}")
        for i in range(5)
    ]
    app = ConsoleApp(
        settings,
        synthetic_pipeline(),
        clock=fixed_clock,
        upkeep=lambda _settings: many,
        findings=lambda _settings: [],
    )
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app)
        panel = app.board.query_one(UpkeepPanel)
        shown = str(panel.query_one(".upkeep-text", Static).content).splitlines()
        assert len(shown) > len(many) and len(shown) <= panel.scrollable_content_region.height
        for i in range(len(many)):
            first = next(n for n, row in enumerate(shown) if f"check{i}:" in row)
            assert shown[first + 1].startswith("  ")  # its second row, indented under it
        assert not panel.border_subtitle  # every item shown, none scrolled away


LONG_ERROR = (
    "gold_daily_revenue: 1 live file(s) of gold/sales/daily_revenue are missing (e.g. "
    "order_date=2024-01-01/part-00000-0d54f144-52b2-46fd-9c7e-66d15621a7b2-c000.snappy.parquet)."
    " Restore them from a backup, or drop them from the table with `lakeconsole repair "
    "gold/sales/daily_revenue` (dry run first: `lakeconsole repair gold/sales/daily_revenue "
    "--dry-run`)"
)


def seed_failed_run(settings: Settings) -> None:
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    start = FIXED_NOW - 3600
    record = RunRecord(new_run_id(start), 1, "run", start, "failed", start + 5, 2000, None)
    record.error = LONG_ERROR
    record.steps = [
        StepRecord("bronze_orders", "bronze", "succeeded", start, start + 1, 2000, 2000),
        StepRecord("gold_revenue", "gold", "failed", start + 1, start + 5, 0, 0),
    ]
    (folder / f"{record.run_id}.json").write_text(json.dumps(record.to_json()))


async def open_failed_run_list(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await settle(pilot, app)
    await pilot.press("u")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, RunsScreen)
            and app.screen.query_one("#runs-list", DataTable).row_count > 1
        ),
        "the runs",
    )
    table = app.screen.query_one("#runs-list", DataTable)
    failed = next(i for i in range(table.row_count) if "failed" in str(table.get_row_at(i)[1]))
    table.move_cursor(row=failed)
    await pilot.pause(0.2)


async def test_the_runs_list_shows_the_selected_runs_error_in_full(settings: Settings) -> None:
    """At 120×40 the error under the list was cut after 3 lines, 30 empty rows above it."""
    app = console(settings)
    seed_failed_run(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_failed_run_list(pilot, app)
        text = " ".join(" ".join(screen_lines(app)).split())
        assert "--dry-run`)" in text


async def test_the_runs_list_refits_its_error_column_when_the_terminal_is_resized(
    settings: Settings,
) -> None:
    """Opened at 120 and shrunk to 80, the error column kept its 120-column width: cut at the
    edge without an ellipsis, the list scrolling sideways."""
    app = console(settings)
    seed_failed_run(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_failed_run_list(pilot, app)
        table = app.screen.query_one("#runs-list", DataTable)
        assert table.max_scroll_x == 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert table.max_scroll_x == 0, "the runs list scrolls sideways at 80 columns"
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.3)
        cells = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        assert any(len(cell) > 60 for cell in cells), cells  # wide again: more of the error


async def test_the_vacuum_preview_of_one_table_says_this_table(settings: Settings) -> None:
    """`v` on one table said 'Vacuum records that these tables were vacuumed'."""
    from lakeconsole.tui.screens.maintenance import VacuumPreviewScreen
    from tests.screen_walks import open_maintenance

    app = console(settings)
    async with app.run_test(size=LARGE) as pilot:
        await open_maintenance(pilot, app)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VacuumPreviewScreen), "the preview")
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert title.endswith("records that this table was vacuumed"), title
