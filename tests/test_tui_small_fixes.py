"""Issue 15's smaller console bugs, each as a user meets it (the CLI where it shares a message)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label, ProgressBar, Static

from lakeconsole.core.events import Layer
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runs import RunRecord, StepRecord
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.dag_view import detail_text
from lakeconsole.tui.run_view import RunView
from lakeconsole.tui.screens.maintenance import MaintenanceScreen
from lakeconsole.tui.screens.table_compare import KeysScreen
from tests.conftest import Shipped
from tests.test_explorer_screen import ExplorerApp, open_history
from tests.test_explorer_screen import wait_for as wait_until
from tests.test_tui_console import SYNTHETIC, heartbeat_text, make_app, wait_for
from tests.tui_fixtures import fixed_findings, fixed_upkeep, synthetic_pipeline

Cli = Callable[..., subprocess.CompletedProcess[str]]
SIZE = (80, 24)


class MaintenanceHost(App[None]):
    """The smallest app that opens the maintenance view, as the console does on `m`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(MaintenanceScreen(self.settings))


async def _settle(pilot: Pilot[Any], group: str) -> None:
    """Wait for the screen's workers in `group` (a message may start the next one)."""
    for _ in range(3):
        mine = [w for w in pilot.app.workers if w.group.startswith(group)]
        if mine:  # an empty list would mean "every worker"
            await pilot.app.workers.wait_for_complete(mine)
        await pilot.pause()


def _compact_table(path: Path) -> Path:
    write_deltalake(str(path), pa.table({"id": [1, 2, 3]}))
    return path


# --- 1. OPTIMIZE of an already compact table -------------------------------------------------
def test_cli_optimize_of_a_compact_table_says_nothing_needed_compacting(
    cli: Cli, home: Path
) -> None:
    table = _compact_table(home / "data" / "silver" / "orders")
    version = DeltaTable(str(table)).version()
    done = cli(["optimize", "silver/orders"])
    assert done.returncode == 0, done.stderr
    assert "silver/orders: nothing needed compacting, already compact: 1 file(s)" in done.stdout
    assert "0 new versions" in done.stdout
    assert "→" not in done.stdout  # no "1 → 1 files" as if something happened
    assert DeltaTable(str(table)).version() == version


async def test_console_optimize_of_a_compact_table_says_nothing_needed_compacting(
    settings: Settings,
) -> None:
    _compact_table(settings.data_dir / "silver" / "orders")
    async with MaintenanceHost(settings).run_test(size=SIZE) as pilot:
        await _settle(pilot, "maintenance")
        await pilot.press("o")
        await _settle(pilot, "maintenance")
        status = str(pilot.app.screen.query_one("#maintenance-status", Static).render())
        assert "nothing needed compacting" in status and "0 new versions" in status
        assert "→" not in status


# --- 5. the dashboard's first hint names the run key as bound now ----------------------------
async def test_no_runs_hint_names_the_run_key_as_remapped(settings: Settings) -> None:
    remapped = dataclasses.replace(settings, pipeline=SYNTHETIC, console_keymap="run=x")
    app = make_app(remapped)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No runs yet" in heartbeat_text(app), "the empty history")
        assert heartbeat_text(app) == "No runs yet: press x to run the pipeline"


async def test_no_runs_hint_names_r_by_default(settings: Settings) -> None:
    app = make_app(dataclasses.replace(settings, pipeline=SYNTHETIC))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No runs yet" in heartbeat_text(app), "the empty history")
        assert heartbeat_text(app) == "No runs yet: press r to run the pipeline"


# --- 2. the maintenance progress bar is still while no job runs ------------------------------
def _pulsing(pilot: Pilot[Any]) -> bool:
    """A shown bar without a total is Textual's indeterminate (animated) bar."""
    bar = pilot.app.screen.query_one("#maintenance-progress", ProgressBar)
    return bool(bar.display) and bar.total is None


async def test_maintenance_progress_bar_does_not_pulse_while_idle(settings: Settings) -> None:
    _compact_table(settings.data_dir / "silver" / "orders")
    async with MaintenanceHost(settings).run_test(size=SIZE) as pilot:
        await _settle(pilot, "maintenance")
        assert not _pulsing(pilot), "idle on opening"
        await pilot.press("o")
        await _settle(pilot, "maintenance")
        bar = pilot.app.screen.query_one("#maintenance-progress", ProgressBar)
        assert not bar.display, "idle again after the job"


# --- 4. a gold card's records in say they are dates ------------------------------------------
async def test_gold_card_counts_dates_in_and_rows_out(shipped: Shipped) -> None:
    shipped.write_demo(rows=500, files=1, seed=7)
    loaded = load_pipeline(shipped.settings)
    gold = [name for name, step in loaded.steps.items() if step.layer == Layer.GOLD]
    app = ConsoleApp(
        shipped.settings, loaded, upkeep=fixed_upkeep, findings=fixed_findings, poll_interval_s=0.2
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app._run is not None and not app.run_active, "the run ends")
        await pilot.pause()
        for name in gold:
            label = app.board.query_one(f"#step-{name} .step-detail", Label)
            detail = str(label.render())
            assert re.fullmatch(r"\S+ dates → \S+ rows", detail), (name, detail)
            assert cell_len(detail) <= label.size.width, f"{detail!r} is cut at 80×24"


# --- 3. comparing a table with no key: the console's words in the console, --key in the CLI --
def _keyless_table(path: Path) -> Path:
    """A bronze-like table: no declared key, no `id`, rows that repeat."""
    write_deltalake(str(path), pa.table({"order_no": [1, 1], "qty": [1, 2]}))
    write_deltalake(str(path), pa.table({"order_no": [2], "qty": [5]}), mode="append")
    return path


async def test_console_compare_asks_for_keys_in_its_own_words(settings: Settings) -> None:
    _keyless_table(settings.data_dir / "bronze" / "orders_raw")
    app = ExplorerApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot, app)
        await pilot.press("C")  # version 1 against version 0
        await wait_until(pilot, lambda: isinstance(app.screen, KeysScreen), "the key question")
        said = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "No key known for bronze/orders_raw" in said
        assert "--key" not in said  # a CLI flag means nothing in the console
        assert "Type them below" in said and "Enter" in said


def test_cli_compare_without_a_key_names_the_flag(cli: Cli, home: Path) -> None:
    _keyless_table(home / "data" / "bronze" / "orders_raw")
    done = cli(["show", "bronze/orders_raw", "--compare", "0..1"])
    assert done.returncode == 1, done.stderr
    assert "No key known for bronze/orders_raw" in done.stderr
    assert "--key" in done.stderr


def test_a_gold_step_read_back_from_its_run_record_keeps_the_dates_unit() -> None:
    """After a restart, or a run in another process: the card is built from the run record."""
    view = RunView.idle(synthetic_pipeline())
    details = {"dates_recomputed": 90, "dates_rewritten": 3, "rows_written": 496}
    step = StepRecord("gold_revenue", "gold", "succeeded", 0.0, 1.0, 90, 496, details=details)
    view.load_record(RunRecord("r1", 1, "lakeconsole run", 0.0, steps=[step]))
    assert detail_text(view.steps["gold_revenue"]) == "90 dates → 496 rows"


async def test_an_edited_env_file_is_announced(settings: Settings) -> None:
    """The console keeps its start-up settings; an edit to .env while it runs is not silent."""
    from tests.test_tui_console import make_app

    app = make_app(settings, poll_interval_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert not [n for n in app._notifications if ".env" in n.title]
        (settings.home / ".env").write_text("AUTO_RUN_ON_LANDING=true\n")
        for _ in range(100):
            if [n for n in app._notifications if n.title == ".env changed"]:
                break
            await pilot.pause(0.05)
        [note] = [n for n in app._notifications if n.title == ".env changed"]
        assert "start it again" in note.message


async def test_auto_run_and_theme_are_remembered_between_starts(settings: Settings) -> None:
    from lakeconsole.core.console_prefs import prefs_path
    from tests.test_tui_console import make_app

    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.auto_run is False
        await pilot.press("a")
        app.theme = "nord"
        await pilot.pause(0.3)
    assert prefs_path(settings.raw).is_file()
    again = make_app(settings)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert again.auto_run is True and again.theme == "nord"


async def test_env_auto_run_wins_over_the_remembered_choice(settings: Settings) -> None:
    import dataclasses

    from lakeconsole.core.console_prefs import ConsolePrefs, save_prefs
    from tests.test_tui_console import make_app

    save_prefs(ConsolePrefs(theme="no-such-theme", auto_run=True), settings.raw)
    pinned = dataclasses.replace(
        settings, raw={**settings.raw, "AUTO_RUN_ON_LANDING": "false"}, auto_run_on_landing=False
    )
    app = make_app(pinned)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert app.auto_run is False
        assert app.theme != "no-such-theme"  # an unknown theme is left out, not an error


def test_a_damaged_prefs_file_is_ignored(settings: Settings) -> None:
    from lakeconsole.core.console_prefs import ConsolePrefs, load_prefs, prefs_path

    path = prefs_path(settings.raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("theme = [unclosed\n")
    assert load_prefs(settings.raw) == ConsolePrefs()


async def test_the_template_env_leaves_the_remembered_choices_in_force(settings: Settings) -> None:
    """setup.sh copies .env.template: its empty AUTO_RUN_ON_LANDING and CONSOLE_KEYMAP must not
    pin anything, or nothing remembered would ever apply."""
    from lakeconsole.core.console_prefs import ConsolePrefs, save_prefs
    from lakeconsole.core.settings import load_settings
    from tests.conftest import REPO
    from tests.test_tui_console import make_app

    (settings.home / ".env").write_text((REPO / ".env.template").read_text())
    from_template = load_settings({**settings.raw, "LAKECONSOLE_HOME": str(settings.home)})
    save_prefs(ConsolePrefs(auto_run=True, keymap="run=x"), from_template.raw)
    app = make_app(from_template)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert app.auto_run is True
        assert "x" in {k for k, b in app.active_bindings.items() if b.binding.id == "run"}
