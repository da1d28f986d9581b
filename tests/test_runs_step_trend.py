"""`lakeconsole runs --steps`: each step's time per run beside the end-to-end latency, so that a
latency creep is pinned to the step that grew (issue 17, deliverable 5)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from lakeconsole.core.events import Event, StepFinished, StepStarted
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import load_settings

Cli = Callable[..., subprocess.CompletedProcess[str]]
GOOD = "tests.pipelines:good"  # ingest → clean → aggregate, not the shipped pipeline


def run_with_slow(env: dict[str, str], start: float, slow: str | None) -> None:
    """A real run of GOOD on a clock that ticks 1 s per reading, 10 s while `slow` runs."""
    settings = load_settings(env)
    now = {"t": start, "tick": 1.0}

    def clock() -> float:
        now["t"] += now["tick"]
        return now["t"]

    def on_event(event: Event) -> None:
        if isinstance(event, StepStarted) and event.step == slow:
            now["tick"] = 10.0
        elif isinstance(event, StepFinished):
            now["tick"] = 1.0

    outcome = run_pipeline(load_pipeline(settings), settings, on_event, clock=clock)
    assert outcome.status == "succeeded", outcome.error


def test_the_step_that_slowed_down_is_named_with_its_tables(env: dict[str, str], cli: Cli) -> None:
    env = {**env, "LAKECONSOLE_PIPELINE": GOOD}
    for n in range(3):
        run_with_slow(env, 1_800_000_000 + n * 3600, slow=None)
    run_with_slow(env, 1_800_000_000 + 4 * 3600, slow="clean")

    done = cli(["runs", "--steps"], env=env)
    assert done.returncode == 0, done.stderr
    header, *rows, last = done.stdout.splitlines()
    assert header.split() == ["started", "ingest", "clean", "aggregate", "end-to-end"]
    assert len(rows) == 4
    assert last.startswith("grew most: clean,")
    assert "`lakeconsole optimize silver/orders`" in last

    data = json.loads(cli(["runs", "--steps", "--json"], env=env).stdout)
    assert [list(r["steps"]) for r in data["runs"]] == [["ingest", "clean", "aggregate"]] * 4
    newest = data["runs"][-1]
    assert newest["steps"]["clean"] > 5 * data["runs"][0]["steps"]["clean"]
    assert newest["latency_s"] >= sum(newest["steps"].values())
    assert data["grew"]["step"] == "clean" and data["grew"]["tables"] == ["silver/orders"]


def test_the_limit_counts_succeeded_runs_and_steady_runs_name_no_step(
    env: dict[str, str], cli: Cli
) -> None:
    env = {**env, "LAKECONSOLE_PIPELINE": GOOD}
    for n in range(3):
        run_with_slow(env, 1_800_000_000 + n * 3600, slow=None)
    done = cli(["runs", "--steps", "--limit", "2"], env=env)
    lines = done.stdout.splitlines()
    assert len(lines) == 1 + 2 + 1
    assert lines[-1] == "No step of the newest run took longer than its median of the 1 before"


def test_no_runs_yet_says_how_to_start_one(cli: Cli) -> None:
    done = cli(["runs", "--steps"])
    assert done.returncode == 0 and "No succeeded runs yet" in done.stdout
