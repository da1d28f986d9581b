"""Issue 13 items 8 and 9, follow-ups: a silver watermark whose position bronze does not hold is
not trusted (silver re-reads bronze, `check` says so first), and a run record whose times are out
of any calendar is skipped with the line naming it instead of crashing `lakeconsole runs`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.sales.demo import DemoFile
from core.settings import Settings

Edit = Callable[[dict[str, Any], list[DemoFile], Settings], None]


def _record(**times: float) -> dict[str, Any]:
    step = {"name": "bronze", "layer": "bronze", "state": "succeeded"}
    step.update({k[5:]: v for k, v in times.items() if k.startswith("step_")})
    top = {k: v for k, v in times.items() if not k.startswith("step_")}
    return {
        "run_id": "r",
        "pid": 1,
        "command": "lakeconsole run",
        "status": "succeeded",
        "started_at": 1_700_000_000.0,
        "ended_at": 1_700_000_010.0,
        "steps": [step],
        **top,
    }


WRONG_TIMES = {
    "huge-start.json": _record(started_at=1e300),
    "negative-start.json": _record(started_at=-1e20),
    "huge-end.json": _record(ended_at=1e300),
    "nan-end.json": _record(ended_at=float("nan")),
    "infinite-step.json": _record(step_started_at=float("inf")),
    "huge-step-end.json": _record(step_ended_at=1e300),
}


def test_runs_skips_a_record_whose_times_are_out_of_range_and_names_it(
    cli: Callable[..., Any], env: dict[str, str], home: Path
) -> None:
    good = {**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"}
    assert cli(["run"], env=good).returncode == 0
    runs = home / "data/_lakeconsole/runs"
    for name, record in WRONG_TIMES.items():
        (runs / f"20990101T000000-{name}").write_text(json.dumps(record))

    result = cli(["runs"], env=good)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert "succeeded" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == len(WRONG_TIMES), result.stderr
    for name in WRONG_TIMES:
        path = runs / f"20990101T000000-{name}"
        assert any(
            w.startswith(f"warning: skipped {path}: not a run record (") and "expected a time" in w
            for w in warnings
        ), (name, warnings)
    listed = json.loads(cli(["runs", "--json"], env=good).stdout)
    assert [r["status"] for r in listed] == ["succeeded"]
