"""Snapshots of the dashboard at 80×24 (idle, running, failed) and after a run at 120×40 (fixed
clock, fixed history).

Regenerate after an intended change: .venv/bin/pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from lakeconsole.core.runs import RunRecord, StepRecord, new_run_id, runs_dir
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.modals import ErrorScreen
from tests.tui_fixtures import (
    FIXED_NOW,
    SYNTHETIC,
    Controls,
    fixed_clock,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

LATENCIES = (4.1, 3.9, 4.4, 4.0, 4.2, 5.8, 6.1)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The lake of these tests runs the synthetic pipeline (and its landing hook)."""
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def seed_lake(settings: Settings) -> None:
    """A history of runs with known latencies, one landing file and a few log lines."""
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i, latency in enumerate(LATENCIES):
        start = FIXED_NOW - (len(LATENCIES) - i) * 86400
        steps = [
            StepRecord("bronze_orders", "bronze", "succeeded", start, start + 1, 1200, 1200),
            StepRecord("gold_revenue", "gold", "succeeded", start + 1, start + latency, 1200, 30),
        ]
        end = start + latency
        record = RunRecord(new_run_id(start), 1, "run", start, "succeeded", end, 1200, latency)
        record.steps = steps
        (folder / f"{record.run_id}.json").write_text(json.dumps(record.to_json()))
    (settings.data_dir / "landing" / "orders_2026-11-18.csv").write_text("order_id\n" * 300)
    settings.log_file.write_text(
        "2026-11-18 08:00:00 INFO    lakeconsole.runner: run started\n"
        "2026-11-18 08:00:04 INFO    lakeconsole.runner: run succeeded: 1200 records\n"
    )


def console(settings: Settings, controls: Controls | None = None) -> ConsoleApp:
    seed_lake(settings)
    return ConsoleApp(
        settings,
        synthetic_pipeline(controls),
        clock=fixed_clock,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )


async def settle(
    pilot: Pilot[Any], app: ConsoleApp, done: Callable[[], bool] = lambda: True
) -> None:
    """Wait until every panel has loaded (and `done`), so the picture is always the same."""

    def loaded() -> bool:
        return (
            app.board.query_one(LandingPanel)._seen is not None
            and app.board.query_one(LogPanel).line_count > 0
            and "loading" not in str(app.board.query_one("#heartbeat").render())
            and "checking" not in str(app.board.query_one(".upkeep-text").render())
            and bool(app.board.tables)  # the step cards' tables have been read
            and done()
        )

    for _ in range(300):
        if loaded():
            break
        await pilot.pause(0.05)
    await pilot.pause(0.1)


def test_dashboard_idle(settings: Settings, snap_compare: Any) -> None:
    app = console(settings)
    assert snap_compare(app, terminal_size=(80, 24), run_before=lambda pilot: settle(pilot, app))


def test_dashboard_after_a_run_at_120x40(settings: Settings, snap_compare: Any) -> None:
    """The cards as tall as what they say (tables, records in → out); the log gets the rest."""
    app = console(settings)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(
            pilot,
            app,
            lambda: (
                not app.run_active
                and all(facts.built for facts in app.board.tables.values())
                and "Processed 12" in str(app.board.query_one("#heartbeat").render())
            ),
        )

    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_dashboard_running(settings: Settings, snap_compare: Any) -> None:
    gate = threading.Event()
    controls = Controls(gate=gate)
    app = console(settings, controls)

    async def start(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: app.board.view.steps["bronze_orders"].done == 6)

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=start)
    finally:
        gate.set()


def test_dashboard_failed(settings: Settings, snap_compare: Any) -> None:
    app = console(settings, Controls(fail_bronze=True))

    async def fail(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: isinstance(app.screen, ErrorScreen))
        await pilot.press("escape")
        await settle(pilot, app, lambda: "✗" in str(app.board.query_one("#heartbeat").render()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=fail)


def test_failure_dialog(settings: Settings, snap_compare: Any) -> None:
    app = console(settings, Controls(fail_bronze=True))

    async def fail(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: isinstance(app.screen, ErrorScreen))

    assert snap_compare(app, terminal_size=(80, 24), run_before=fail)


def test_dashboard_failed_without_colour(settings: Settings, snap_compare: Any) -> None:
    """NO_COLOR: states stay readable from their icons and words alone."""
    plain = dataclasses.replace(settings, raw={**settings.raw, "NO_COLOR": "1"})
    app = console(plain, Controls(fail_bronze=True))

    async def fail(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app, lambda: isinstance(app.screen, ErrorScreen))
        await pilot.press("escape")
        await settle(pilot, app, lambda: "✗" in str(app.board.query_one("#heartbeat").render()))

    assert snap_compare(app, terminal_size=(80, 24), run_before=fail)
