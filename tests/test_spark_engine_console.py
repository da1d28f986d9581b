"""The console's run view and `lakeconsole runs RUN_ID` say which steps ran on a Spark Connect
endpoint, in the same words (core/run_timeline.engines_line)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lakeconsole.cli.runs import one_run_text
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.runs import Trigger, load_run, load_runs, runs_dir
from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.runs import RunScreen
from tests.test_tui_console import wait_for
from tests.test_tui_runs_screen import Breakage, console, open_runs, pipeline, screen_text
from tests.tui_fixtures import FIXED_NOW, SYNTHETIC, Controls

SIZE = (100, 30)
REMOTE = "spark sc://spark.example:15002"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


def ran_silver_on_spark(settings: Settings) -> str:
    """A real run whose record then says silver ran on a Spark endpoint; its id."""
    flow = pipeline(Controls(), Breakage())
    run_pipeline(flow, settings, trigger=Trigger.CLI)
    [record] = load_runs(settings.state_dir)
    path = runs_dir(settings.state_dir) / f"{record.run_id}.json"
    data = json.loads(path.read_text())
    for step in data["steps"]:
        if step["name"] == "silver_orders":
            step["engine"] = REMOTE
    path.write_text(json.dumps(data))
    return record.run_id


async def test_the_run_view_says_which_steps_ran_on_spark(settings: Settings) -> None:
    run_id = ran_silver_on_spark(settings)
    flow = pipeline(Controls(), Breakage())
    app = console(settings, flow)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot, app, 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "the run")
        shown = screen_text(app, "#run-summary").splitlines()
    record = load_run(settings.state_dir, run_id)
    assert record is not None
    said = f"silver_orders ran on {REMOTE}; the others ran here"
    assert shown[1] == said
    assert one_run_text(record, FIXED_NOW).splitlines()[1:3] == shown


async def test_a_run_all_here_adds_no_line(settings: Settings) -> None:
    flow = pipeline(Controls(), Breakage())
    run_pipeline(flow, settings, trigger=Trigger.CLI)
    [record] = load_runs(settings.state_dir)
    assert {s.engine for s in record.steps} == {"local"}
    assert "ran on" not in one_run_text(record, FIXED_NOW)
