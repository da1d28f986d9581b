"""The console through Pilot: keys pressed, what the user sees, and the real tables behind it."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Label, Static

from lakeconsole.core.dag import Pipeline
from lakeconsole.core.events import RunFinished, RunStarted, RunStatus, StepFinished, StepStarted
from lakeconsole.core.lock import RunLock
from lakeconsole.core.runs import RunRecorder, load_runs
from lakeconsole.core.settings import Settings
from lakeconsole.tui import app as console_app
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.dag_view import StepCard
from lakeconsole.tui.help import HelpScreen
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.modals import ConfirmScreen, ErrorScreen
from lakeconsole.tui.summary import UpkeepPanel
from tests.tui_fixtures import (
    SYNTHETIC,
    Controls,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
    table_rows,
)

SIZE = (80, 24)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The lake of these tests runs the synthetic pipeline (and its landing hook)."""
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


def make_app(
    settings: Settings, controls: Controls | None = None, poll_interval_s: float = 1.0
) -> ConsoleApp:
    return ConsoleApp(
        settings,
        synthetic_pipeline(controls),
        upkeep=fixed_upkeep,
        findings=fixed_findings,
        poll_interval_s=poll_interval_s,
    )


async def wait_for(
    pilot: Pilot[int], condition: Callable[[], object], what: str, seconds: float = 15.0
) -> None:
    """Let the app work until `condition` holds (the limit only stops a broken test hanging)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def card_text(app: ConsoleApp, step: str) -> str:
    card = app.board.query_one(f"#step-{step}", StepCard)
    return " | ".join(str(label.render()) for label in card.query(Label))


def status_text(app: ConsoleApp) -> str:
    return str(app.board.query_one("#run-status", Label).render())


def heartbeat_text(app: ConsoleApp) -> str:
    return str(app.board.query_one("#heartbeat", Static).render())


def states(app: ConsoleApp) -> dict[str, str]:
    return {name: step.state.value for name, step in app.board.view.steps.items()}


async def run_to_end(pilot: Pilot[int], app: ConsoleApp, key: str = "r") -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: app._run is not None and not app.run_active, "the run ends")
    await pilot.pause(0.1)


async def test_a_run_moves_every_layer_to_succeeded(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        assert "idle" in card_text(app, "bronze_orders")
        await run_to_end(pilot, app)
        await wait_for(pilot, lambda: "Processed 12" in heartbeat_text(app), "the heartbeat")

        assert set(states(app).values()) == {"succeeded"}
        assert "✓ bronze_orders" in card_text(app, "bronze_orders")
        assert "in 12 → out 12" in card_text(app, "silver_orders")
        assert "in 12 → out 1" in card_text(app, "gold_revenue")
        assert heartbeat_text(app) == "✓ Pipeline Finished: Processed 12 records"
        assert "last run succeeded" in status_text(app)
    assert table_rows(settings.data_dir / "gold/revenue") == 1


async def test_silver_and_gold_are_skipped_when_bronze_fails_and_their_tables_stay_unchanged(
    settings: Settings,
) -> None:
    controls = Controls()
    app = make_app(settings, controls)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(pilot, app)
        silver_before = (settings.data_dir / "silver/orders/_delta_log").stat().st_mtime_ns
        gold_logs = sorted((settings.data_dir / "gold/revenue/_delta_log").glob("*.json"))

        controls.fail_bronze = True
        await run_to_end(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the failure dialog")

        dialog = app.screen
        assert isinstance(dialog, ErrorScreen)
        assert "column 'qty' is not a number" in dialog.message
        assert "app.log" in dialog.where and "bronze_orders" in dialog.where
        await pilot.press("escape")
        assert list(states(app).values()) == ["failed", "skipped", "skipped"]
        assert "upstream failed: bronze_orders" in card_text(app, "silver_orders")
        assert "skipped" in card_text(app, "gold_revenue")
        await wait_for(pilot, lambda: heartbeat_text(app).startswith("✗ Pipeline"), "red heartbeat")
        assert "column 'qty' is not a number" in heartbeat_text(app)
    # Downstream tables were not touched: no new commit, same rows.
    assert (settings.data_dir / "silver/orders/_delta_log").stat().st_mtime_ns == silver_before
    assert sorted((settings.data_dir / "gold/revenue/_delta_log").glob("*.json")) == gold_logs
    assert table_rows(settings.data_dir / "silver/orders") == 12


async def test_a_failing_bronze_on_a_new_lake_creates_no_silver_or_gold(settings: Settings) -> None:
    app = make_app(settings, Controls(fail_bronze=True))
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the failure dialog")
    assert table_rows(settings.data_dir / "silver/orders") is None
    assert table_rows(settings.data_dir / "gold/revenue") is None


async def test_keys_are_handled_while_the_run_is_busy(settings: Settings) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate)
    app = make_app(settings, controls)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, controls.waiting.is_set, "bronze waits at the gate")
        await wait_for(pilot, lambda: "6/12 rows" in card_text(app, "bronze_orders"), "progress")
        assert "running" in card_text(app, "bronze_orders")
        assert "queued" in card_text(app, "gold_revenue")

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("l")
        assert app.board.maximized is app.board.query_one(LogPanel)
        await pilot.press("l")
        assert app.board.maximized is None
        await pilot.press("r")  # a second run is refused, not queued
        assert any("already going" in n.message for n in app._notifications)
        assert app.run_active

        gate.set()
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
        await pilot.pause(0.1)
        assert set(states(app).values()) == {"succeeded"}
    assert len(load_runs(settings.state_dir)) == 1


async def test_cancel_stops_the_run_and_no_table_is_written(settings: Settings) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate)
    app = make_app(settings, controls)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, controls.waiting.is_set, "bronze waits at the gate")
        await pilot.press("c")
        await wait_for(pilot, lambda: not app.run_active, "the run stops")
        await pilot.pause(0.1)
        assert list(states(app).values()) == ["cancelled", "skipped", "skipped"]
        await wait_for(pilot, lambda: "cancelled by the user" in heartbeat_text(app), "heartbeat")
        assert heartbeat_text(app) == "✗ Pipeline Failed: cancelled by the user"
    assert load_runs(settings.state_dir)[0].status == RunStatus.CANCELLED.value
    assert table_rows(settings.data_dir / "bronze/orders") is None


async def closed(app: ConsoleApp) -> bool:
    """True once the console has closed (the limit only stops a broken test hanging)."""
    for _ in range(300):
        if not app.is_running:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_quit_during_a_run_cancels_it_and_closes_once_it_stopped(settings: Settings) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate)
    app = make_app(settings, controls)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, controls.waiting.is_set, "bronze waits at the gate")
        await pilot.press("q")
        assert await closed(app)
    assert app.return_code == 0
    assert not gate.is_set()  # the step stopped at its safe point; nobody opened the gate
    assert load_runs(settings.state_dir)[0].status == RunStatus.CANCELLED.value
    assert table_rows(settings.data_dir / "bronze/orders") is None


async def test_a_second_quit_does_not_wait_for_a_step_that_ignores_cancel(
    settings: Settings,
) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate, ignore_cancel=True)
    app = make_app(settings, controls)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("r")
            await wait_for(pilot, controls.waiting.is_set, "bronze waits at the gate")
            await pilot.press("q")
            assert "quitting" in status_text(app)
            assert app.is_running  # the step cannot stop, so the console waits and says so
            await pilot.press("q")
            assert await closed(app)
    finally:
        gate.set()


async def test_run_from_the_selected_layer_leaves_earlier_layers_alone(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(pilot, app)
        bronze_logs = sorted((settings.data_dir / "bronze/orders/_delta_log").glob("*.json"))
        await pilot.click("#layer-silver")
        await run_to_end(pilot, app, key="f")
        assert list(states(app).values()) == ["idle", "succeeded", "succeeded"]
    assert sorted((settings.data_dir / "bronze/orders/_delta_log").glob("*.json")) == bronze_logs
    assert load_runs(settings.state_dir)[0].steps[0].name == "silver_orders"


async def test_run_from_a_layer_whose_upstream_was_never_built_is_refused(
    settings: Settings,
) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#step-gold_revenue")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the refusal")
        assert isinstance(app.screen, ErrorScreen)
        assert app.screen.title_text == "Cannot start the run"
        assert "never been built" in app.screen.message
    assert load_runs(settings.state_dir) == []


async def test_a_run_refused_by_the_lock_names_who_holds_it(settings: Settings) -> None:
    lock = RunLock(settings.state_dir, "20261126T060000-000000Z-1", "lakeconsole run (cron)")
    app = make_app(settings, poll_interval_s=3600)  # the lock is met by the run, not the poll
    async with app.run_test(size=SIZE) as pilot:
        with lock:
            await pilot.press("r")
            await wait_for(pilot, lambda: app._run is not None and not app.run_active, "refusal")
            await pilot.pause(0.1)
        assert any("A run is already going on this lake" in n.message for n in app._notifications)
        assert "run by lakeconsole run (cron)" in status_text(app)
        assert table_rows(settings.data_dir / "bronze/orders") is None


async def test_ctrl_q_also_cancels_a_run_before_quitting(settings: Settings) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate)
    app = make_app(settings, controls)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, controls.waiting.is_set, "bronze waits at the gate")
        await pilot.press("ctrl+q")
        assert await closed(app)
    assert load_runs(settings.state_dir)[0].status == RunStatus.CANCELLED.value


async def test_a_step_can_be_chosen_and_run_by_keyboard_alone(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(pilot, app)
        for _ in range(10):
            if app.focused is not None and app.focused.id == "step-gold_revenue":
                break
            await pilot.press("tab")
        assert app.board.selected() == "gold_revenue"
        await run_to_end(pilot, app, key="f")
        assert list(states(app).values()) == ["idle", "idle", "succeeded"]


async def test_every_console_key_is_in_the_command_palette(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
    for title in (
        "Run the pipeline",
        "Run from the selection",
        "Cancel the run",
        "Open Tables",
        "Open Maintenance",
        "Open Backup",
        "Open Mart docs",
        "Logs",
        "Toggle auto-run",
    ):
        assert title in titles


async def test_run_from_without_a_selection_says_how_to_select(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        app.set_focus(None)
        app.board.dag.selected = None  # type: ignore[union-attr]
        await pilot.press("f")
        assert any("Select a layer or a step" in n.message for n in app._notifications)
        assert app._run is None


async def test_landing_panel_lists_a_file_when_it_arrives(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        shown = lambda: str(panel.query_one(Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "no files in landing" in shown(), "first look")
        (settings.data_dir / "landing" / "orders_2026-11-26.csv").write_text("order_id,qty\n1,2\n")
        await wait_for(pilot, lambda: "orders_2026-11-26.csv" in shown(), "the new file")
        assert panel.border_title == "Landing · 1 waiting"
        (settings.data_dir / "landing" / "orders_2026-11-26.csv").unlink()
        await wait_for(pilot, lambda: "no files in landing" in shown(), "the file gone")


async def test_landing_panel_tells_waiting_files_from_ingested_ones(settings: Settings) -> None:
    landing = settings.data_dir / "landing"
    (landing / "done_orders_1.csv").write_text("order_id\n1\n")
    (landing / "orders_2.csv").write_text("order_id\n2\n")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "first look")
        shown = str(panel.query_one(Static).render())
        assert panel.border_title == "Landing · 1 waiting"
        assert "orders_2.csv" in shown and "✓ 1 read (ingested or rejected)" in shown
        assert "done_orders_1.csv" not in shown


async def test_landing_panel_names_a_rejected_file_and_why(settings: Settings) -> None:
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline
    from tests.sales_tables import sales_steps

    sales = dataclasses.replace(settings, pipeline="lakeconsole.pipelines.sales:pipeline")
    landing = sales.data_dir / "landing"
    (landing / "bad.csv").write_text("order_id,line_no\nA1,1\n")
    (landing / "good.csv").write_text(
        "order_id,line_no,order_ts,customer_id,product_id,region,price,qty,tax,currency\n"
        "A1,1,2024-03-01T10:00:00Z,C1,P1,north,1.00,1,0.10,EUR\n"
    )
    assert run_pipeline(load_pipeline(sales), sales).status == RunStatus.SUCCEEDED
    app = ConsoleApp(sales, Pipeline(sales_steps()), upkeep=fixed_upkeep, findings=fixed_findings)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.board.query_one(LandingPanel)
        shown = lambda: str(panel.query_one(Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "✗ bad.csv" in shown(), "the rejected file")
        assert panel.border_title == "Landing · 0 waiting"
        assert "✓ 1 ingested" in shown()
        assert "✗ bad.csv: wrong header: missing column(s)" in shown()


async def test_auto_run_starts_a_run_when_new_files_land(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "first look")
        await pilot.press("a")
        assert panel.border_subtitle == "a: auto-run on"
        (settings.data_dir / "landing" / "orders.csv").write_text("order_id,qty\n1,2\n")
        await wait_for(pilot, lambda: app._run is not None, "a run starts by itself")
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
    assert load_runs(settings.state_dir)[0].status == RunStatus.SUCCEEDED.value


async def test_log_panel_shows_appended_lines_and_follows_rotation(settings: Settings) -> None:
    log = settings.log_file
    log.write_text("old line 1\nold line 2\n")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LogPanel)
        await wait_for(pilot, lambda: "old line 2" in panel.lines, "the tail")
        with log.open("a") as f:
            f.write("2026-11-26 10:00:00 INFO    lakeconsole.runner: step bronze started\n")
        await wait_for(pilot, lambda: any("bronze started" in x for x in panel.lines), "new line")

        log.rename(log.with_name("app.log.2026-11-26"))  # what the daily rotation does (OPS-04)
        log.write_text("first line of a new day\n")
        await wait_for(pilot, lambda: "first line of a new day" in panel.lines, "rotated file")
        assert "old line 1" not in panel.lines


def cron_run(settings: Settings) -> tuple[RunLock, Callable[..., None]]:
    """Another process's run as its lock and record show it; `step(name, state)` moves it on."""
    layers = {n: s.layer for n, s in synthetic_pipeline().steps.items()}
    recorder = RunRecorder(settings.state_dir, "lakeconsole run")
    lock = RunLock(settings.state_dir, "20261126T060000-000000Z-1", "lakeconsole run (cron)")
    lock.acquire()
    recorder(RunStarted(lock.run_id, 1.0, tuple(layers), layers))

    def step(name: str, state: str) -> None:
        if name == "run":
            recorder(RunFinished(lock.run_id, 3.0, RunStatus(state), 5, 2.0))
        elif state == "running":
            recorder(StepStarted(lock.run_id, 1.0, name, layers[name]))
        else:
            recorder(StepFinished(lock.run_id, 2.0, name, layers[name], 5, 5, 1.0))

    return lock, step


async def test_another_process_run_is_shown_live_and_not_started_twice(settings: Settings) -> None:
    lock, step = cron_run(settings)
    try:
        step("bronze_orders", "running")
        step("bronze_orders", "succeeded")
        step("silver_orders", "running")
        app = make_app(settings, poll_interval_s=0.1)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "run by lakeconsole run (cron)" in status_text(app), "it")
            await wait_for(pilot, lambda: states(app)["silver_orders"] == "running", "live state")
            assert states(app)["bronze_orders"] == "succeeded"
            await pilot.press("r")
            assert app._run is None
            assert any("Another process is running" in n.message for n in app._notifications)

            step("silver_orders", "succeeded")
            step("gold_revenue", "running")
            step("gold_revenue", "succeeded")
            step("run", "succeeded")
            lock.release()
            await wait_for(pilot, lambda: "last run succeeded" in status_text(app), "the end")
            await wait_for(pilot, lambda: "Processed 5 records" in heartbeat_text(app), "heartbeat")
            assert set(states(app).values()) == {"succeeded"}
    finally:
        lock.release()


async def test_maintenance_panel_shows_what_is_due_and_the_governance_findings(
    settings: Settings,
) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(UpkeepPanel)
        shown = lambda: str(panel.query_one(Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "OPS-05" in shown(), "the findings")
        assert "! backup: never" in shown()
        assert "! OPS-05 gold/sales: README.md missing sections: Owner" in shown()
        assert "OPS-07 backup" not in shown()  # the same fact as the backup line above it
        assert panel.border_title == "Maintenance · 2 to fix"


async def test_a_view_that_is_not_written_yet_is_announced(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = ("lakeconsole.tui.screens.not_written_yet", "TablesScreen", "Tables")
    monkeypatch.setitem(console_app.VIEWS, "tables", missing)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert any(n.message == "The Tables view is not available yet." for n in app._notifications)
        assert app.screen is app.board


async def test_a_view_opens_over_the_dashboard_and_goes_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(console_app.VIEWS, "backup", ("tests.tui_fixtures", "StubScreen", "Backup"))
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert type(app.screen).__name__ == "StubScreen"
        assert app.screen.settings is settings  # type: ignore[attr-defined]
        await pilot.press("l")  # logs from another view: back to the dashboard, log enlarged
        assert app.screen is app.board and app.board.maximized is not None


async def test_a_pipeline_that_cannot_load_is_explained(settings: Settings) -> None:
    message = "Cannot load the pipeline 'lakeconsole.pipelines.sales:pipeline' (No module named …)"
    app = ConsoleApp(settings, None, pipeline_error=message, upkeep=fixed_upkeep)
    async with app.run_test(size=SIZE) as pilot:
        assert message in str(app.board.query_one("#pipeline-error", Static).render())
        await pilot.press("r")
        assert isinstance(app.screen, ErrorScreen)
        assert "LAKECONSOLE_PIPELINE" in app.screen.where


async def test_keys_can_be_remapped_by_binding_id(settings: Settings) -> None:
    app = make_app(dataclasses.replace(settings, console_keymap="run=x;help=h"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen)
        rows = str(app.screen.query_one("#help-keys", Static).render()).splitlines()
        assert any(row.startswith("x ") and row.endswith(" run") for row in rows)
        await pilot.press("escape")
        await run_to_end(pilot, app, key="x")
        assert set(states(app).values()) == {"succeeded"}


async def test_no_color_in_the_env_file_turns_colour_off(settings: Settings) -> None:
    app = make_app(dataclasses.replace(settings, raw={**settings.raw, "NO_COLOR": "1"}))
    assert app.no_color


class ConfirmHost(App[None]):
    def __init__(self) -> None:
        super().__init__(css_path=str(Path(console_app.__file__).with_name("console.tcss")))
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Label("host")

    def ask(self) -> None:
        self.push_screen(ConfirmScreen("Vacuum 3 tables?", danger=True), self.answers.append)


async def test_confirm_dialog_answers_yes_and_no() -> None:
    host = ConfirmHost()
    async with host.run_test(size=SIZE) as pilot:
        host.ask()
        await pilot.pause()
        await pilot.press("y")
        host.ask()
        await pilot.pause()
        await pilot.press("escape")
        host.ask()
        await pilot.pause()
        await pilot.press("enter")  # the focused button is the safe one
        assert host.answers == [True, False, False]


class LateAnswer(Static):
    """Posts the workers' answers to the app as the board's panels come down (CI saw one)."""

    def on_unmount(self) -> None:
        from lakeconsole.tui.messages import HistoryLoaded, UpkeepLoaded

        self.app.post_message(HistoryLoaded([]))
        self.app.post_message(UpkeepLoaded([], None, None))


async def test_a_worker_answer_that_lands_while_the_console_closes_is_dropped(
    settings: Settings,
) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await app.board.mount(LateAnswer())
        await pilot.pause()
    assert app.return_code in (None, 0), "the console ended with an error"
