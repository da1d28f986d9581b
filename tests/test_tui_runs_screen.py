"""The runs view through Pilot: real runs of a small real pipeline listed with what started them,
one run's timeline and error, and a failed run re-run from its failed step.

Regenerate the snapshots after an intended change:
.venv/bin/pytest tests/test_tui_runs_screen.py --snapshot-update"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import Any

import pytest
from deltalake import DeltaTable
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from lakeconsole.cli.runs import one_run_text, runs_table
from lakeconsole.core.dag import Pipeline, StepContext, StepResult
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.runs import (
    RunRecord,
    StepRecord,
    Trigger,
    load_run,
    load_runs,
    runs_dir,
)
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.screens.runs import RunScreen, RunsScreen
from tests.test_tui_console import wait_for
from tests.test_tui_keys import help_matches_footer
from tests.tui_fixtures import (
    FIXED_NOW,
    SYNTHETIC,
    Controls,
    fixed_clock,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

SIZE = (80, 24)
SILVER_ERROR = "column 'qty' changed type\nexpected: int64\nfound: string"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


@dataclasses.dataclass
class Breakage:
    silver: bool = False


def pipeline(controls: Controls, broken: Breakage) -> Pipeline:
    """The synthetic pipeline, whose silver step fails while `broken.silver` is set."""
    base = synthetic_pipeline(controls)
    silver = base.steps["silver_orders"]

    def flaky_silver(ctx: StepContext) -> StepResult:
        if broken.silver:
            raise ValueError(SILVER_ERROR)
        return silver.run(ctx)

    return Pipeline(
        [
            dataclasses.replace(s, run=flaky_silver) if s.name == "silver_orders" else s
            for s in base.steps.values()
        ]
    )


def seed_runs(settings: Settings, flow: Pipeline, broken: Breakage) -> None:
    """Two real runs from the command line: one that succeeds, then one whose silver fails."""
    run_pipeline(flow, settings, trigger=Trigger.CLI)
    broken.silver = True
    run_pipeline(flow, settings, trigger=Trigger.CLI)
    broken.silver = False  # fixed since: a re-run can succeed


def console(settings: Settings, flow: Pipeline) -> ConsoleApp:
    return ConsoleApp(settings, flow, upkeep=fixed_upkeep, findings=fixed_findings)


def rows(app: ConsoleApp) -> list[list[str]]:
    table = app.screen.query_one("#runs-list", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_runs(pilot: Pilot[int], app: ConsoleApp, count: int) -> None:
    await pilot.press("u")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, RunsScreen) and len(rows(app)) == count,
        f"{count} runs listed",
    )


def screen_text(app: ConsoleApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_runs_list_the_real_runs_newest_first_with_what_started_them(
    settings: Settings,
) -> None:
    broken = Breakage()
    flow = pipeline(Controls(), broken)
    seed_runs(settings, flow, broken)
    app = console(settings, flow)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 2)
        failed, succeeded = rows(app)
        assert failed[1:3] == ["✗ failed", "cli"]
        assert failed[4] == "12"  # bronze took in its 12 rows before silver failed
        assert failed[5].startswith("silver_orders: column")  # cut to the width there is
        assert succeeded[1:3] == ["✓ succeeded", "cli"] and succeeded[4] == "12"
        assert "2 run(s), 1 failed" in screen_text(app, "#runs-status")
        # The selected run's error in full under the list, where the column cuts it.
        assert screen_text(app, "#runs-error") == "✗ silver_orders: column 'qty' changed type"
        await pilot.press("down")
        assert not app.screen.query_one("#runs-error", Static).display


async def test_enter_opens_a_run_with_its_timeline_counts_and_error(settings: Settings) -> None:
    broken = Breakage()
    flow = pipeline(Controls(), broken)
    seed_runs(settings, flow, broken)
    app = console(settings, flow)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the run")
        lines = screen_text(app, "#run-timeline").splitlines()
        bronze, silver, gold, axis = lines
        assert bronze.startswith("✓ bronze_orders") and "█" in bronze
        assert bronze.endswith("12 → 12 rows")
        assert silver.startswith("✗ silver_orders") and silver.endswith("column 'qty' change…")
        assert gold.startswith("⊘ gold_revenue") and gold.endswith("upstream failed: si…")
        assert "█" not in gold  # it never ran: no bar
        assert axis.strip().startswith("0s") and axis.rstrip().endswith("s")
        assert all(len(line) <= SIZE[0] - 2 for line in lines)  # inside the padding
        problems = screen_text(app, "#run-problems")
        assert "✗ silver_orders: column 'qty' changed type" in problems
        assert "  expected: int64\n  found: string" in problems  # the detail under the error
        assert "trigger cli" in screen_text(app, "#run-summary")
        assert "f: re-run from silver_orders" in screen_text(app, "#run-hint")
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_a_failed_run_reruns_from_its_failed_step_and_the_new_run_shows(
    settings: Settings,
) -> None:
    broken = Breakage()
    flow = pipeline(Controls(), broken)
    seed_runs(settings, flow, broken)
    bronze_version = DeltaTable(str(settings.data_dir / "bronze/orders")).version()
    app = console(settings, flow)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the run")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "back to the runs")
        await wait_for(
            pilot, lambda: len(rows(app)) == 3 and "succeeded" in rows(app)[0][1], "the new run"
        )
        assert rows(app)[0][2] == "console"
    newest = load_runs(settings.state_dir)[0]
    assert [s.name for s in newest.steps] == ["silver_orders", "gold_revenue"]
    assert newest.trigger == "console" and newest.status == "succeeded"
    # Bronze was not run again; silver and gold were built from what it holds.
    assert DeltaTable(str(settings.data_dir / "bronze/orders")).version() == bronze_version
    gold = DeltaTable(str(settings.data_dir / "gold/revenue")).to_pyarrow_table()
    assert gold["orders"].to_pylist() == [24]  # both bronze runs' 12 rows


async def test_a_rerun_is_refused_with_a_notice_while_a_run_is_going(settings: Settings) -> None:
    broken, controls = Breakage(), Controls()
    flow = pipeline(controls, broken)
    seed_runs(settings, flow, broken)
    controls.gate = threading.Event()
    app = console(settings, flow)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("r")
            await wait_for(pilot, controls.waiting.is_set, "the console's run is going")
            await open_runs(pilot, app, 3)
            assert rows(app)[0][1:3] == ["▶ running", "console"]
            await pilot.press("down", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the failed run")
            run_screen = app.screen
            await pilot.press("f")
            await pilot.pause()
            assert app.screen is run_screen  # nothing started: it stays
            notes = [n.message for n in app._notifications]
            assert any(n.startswith("A run is already going: one run at a time") for n in notes)
            controls.gate.set()
            await wait_for(pilot, lambda: not app.run_active, "the run ends")
    finally:
        controls.gate.set()
    assert len(load_runs(settings.state_dir)) == 3


async def test_a_run_that_did_not_fail_has_nothing_to_rerun(settings: Settings) -> None:
    broken = Breakage()
    flow = pipeline(Controls(), broken)
    run_pipeline(flow, settings, trigger=Trigger.CLI)
    app = console(settings, flow)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 1)
        await pilot.press("f")
        await pilot.pause()
        assert any("did not fail" in n.message for n in app._notifications)
        assert not app.run_active
    assert len(load_runs(settings.state_dir)) == 1


async def test_an_auto_run_is_recorded_as_one(settings: Settings) -> None:
    app = console(settings, pipeline(Controls(), Breakage()))
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "first look")
        await pilot.press("a")
        (settings.data_dir / "landing" / "orders.csv").write_text("order_id,qty\n1,2\n")
        await wait_for(pilot, lambda: app._run is not None, "a run starts by itself")
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
        await open_runs(pilot, app, 1)
        assert rows(app)[0][2] == "auto-run"
    assert load_runs(settings.state_dir)[0].trigger == "auto-run"


def footer_is_whole(app: ConsoleApp) -> bool:
    keys = list(app.screen.query(FooterKey))
    return bool(keys) and all(k.region.right <= app.size.width for k in keys)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_runs_view_is_whole_at_80x24_and_120x40_and_help_lists_its_footer(
    settings: Settings, size: tuple[int, int]
) -> None:
    broken = Breakage()
    flow = pipeline(Controls(), broken)
    seed_runs(settings, flow, broken)
    app = console(settings, flow)
    async with app.run_test(size=size) as pilot:
        await open_runs(pilot, app, 2)
        assert footer_is_whole(app)
        text = await help_matches_footer(pilot, app)
        assert "Re-run the selected run from its failed step" in text
        assert (
            "Vacuum, optimize" in text.split("-- Everywhere, not in the footer")[1]
        )  # `?` lists the rest
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the run")
        await pilot.pause()
        assert footer_is_whole(app)
        timeline = screen_text(app, "#run-timeline").splitlines()
        assert all(len(line) <= size[0] - 2 for line in timeline)
        assert "Re-run this run from its failed step" in await help_matches_footer(pilot, app)


# --- snapshots at 80×24 ----------------------------------------------------------------------


def fixed_history(settings: Settings) -> None:
    """Known runs at known times: two that succeeded, one failed at silver, one from before
    runs said what started them."""
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def write(
        n: int, trigger: str | None, status: str, silver: str = "succeeded", command: str = ""
    ) -> None:
        start = FIXED_NOW - n * 3600
        gold = "skipped" if silver == "failed" else "succeeded"
        record = RunRecord(
            time.strftime("%Y%m%dT%H%M%S-000000Z-1", time.gmtime(start)),
            1,
            command or "lakeconsole run",
            start,
            status,
            start + 6.5,
            1200 if status == "succeeded" else 0,
            6.4 if status == "succeeded" else None,
            trigger=trigger,
        )
        record.steps = [
            StepRecord("bronze_orders", "bronze", "succeeded", start, start + 2.0, 1200, 1200),
            StepRecord(
                "silver_orders",
                "silver",
                silver,
                start + 2.0,
                start + 4.5,
                1200 if silver == "succeeded" else 0,
                1180 if silver == "succeeded" else 0,
            ),
            StepRecord(
                "gold_revenue",
                "gold",
                gold,
                start + 4.5 if gold == "succeeded" else None,
                start + 6.4 if gold == "succeeded" else None,
                1180 if gold == "succeeded" else 0,
                30 if gold == "succeeded" else 0,
                reason="upstream failed: silver_orders" if gold == "skipped" else None,
            ),
        ]
        if silver == "failed":
            record.steps[1].error = "column 'qty' changed type"
            record.steps[1].detail = "expected: int64\nfound: string"
            record.error = "silver_orders: column 'qty' changed type"
            record.warnings = ["1 landing file quarantined: orders_bad.csv"]
        (folder / f"{record.run_id}.json").write_text(json.dumps(record.to_json()))

    write(4, None, "succeeded", command="lakeconsole console-old")
    write(3, "cli", "succeeded")
    write(2, "auto-run", "failed", silver="failed")
    write(1, "console", "succeeded")


def snapshot_console(settings: Settings) -> ConsoleApp:
    fixed_history(settings)
    return ConsoleApp(
        settings,
        synthetic_pipeline(),
        clock=fixed_clock,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )


def test_runs_list_snapshot(settings: Settings, snap_compare: Any, utc: None) -> None:
    app = snapshot_console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_runs(pilot, app, 4)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=opened)


def test_one_run_snapshot(settings: Settings, snap_compare: Any, utc: None) -> None:
    app = snapshot_console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_runs(pilot, app, 4)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the failed run")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=opened)


def test_runs_list_snapshot_at_120x40(settings: Settings, snap_compare: Any, utc: None) -> None:
    app = snapshot_console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_runs(pilot, app, 4)
        await pilot.press("down")  # the failed run: its error in full under the list
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 40), run_before=opened)


def test_one_run_snapshot_at_120x40(settings: Settings, snap_compare: Any, utc: None) -> None:
    app = snapshot_console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_runs(pilot, app, 4)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the failed run")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(120, 40), run_before=opened)


async def test_the_console_and_lakeconsole_runs_say_a_run_in_the_same_words(
    settings: Settings, utc: None
) -> None:
    app = snapshot_console(settings)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 4)
        newest = rows(app)[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the newest run")
        shown = screen_text(app, "#run-summary")
        record = load_run(settings.state_dir, app.screen.record.run_id)  # type: ignore[attr-defined]
    assert record is not None
    cli = one_run_text(record, FIXED_NOW).splitlines()
    assert shown == cli[1]  # `lakeconsole runs RUN_ID`'s line under the run id
    assert "· 1,200 records" in shown
    # The list too: the records as the console's list has them ('1,200', not '1200').
    listed = runs_table(load_runs(settings.state_dir), FIXED_NOW).splitlines()[1]
    assert f" {newest[4]} " in listed and newest[4] == "1,200"
