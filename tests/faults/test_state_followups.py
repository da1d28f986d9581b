"""Issue 13 items 8 and 9, follow-ups: a silver watermark whose position bronze does not hold is
not trusted (silver re-reads bronze, `check` says so first), and a run record whose times are out
of any calendar is skipped with the line naming it instead of crashing `lakeconsole runs`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.settings import Settings
from lakeconsole.pipelines.sales.demo import DemoFile, write_demo
from tests.conftest import lakeconsole
from tests.faults.test_restore_state import env_of, lake
from tests.sales_fixtures import count, run, snapshot
from tests.sales_fixtures import state_file as state_path
from tests.sales_tables import SILVER_ORDERS

Edit = Callable[[dict[str, Any], list[DemoFile], Settings], None]


def first_run(settings: Settings) -> list[DemoFile]:
    return write_demo(settings.data_dir / "landing", rows=3000, files=2, seed=13)


def next_file(settings: Settings, prefix: str, after: int) -> list[DemoFile]:
    """The next day's file, as `lakeconsole demo --prefix next --after ... --files 1` writes it."""
    return write_demo(
        settings.data_dir / "landing", rows=1000, files=1, seed=13, prefix=prefix, after=after
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lake after the three runs when nobody touched the watermark."""
    settings = lake(tmp_path_factory.mktemp("clean"))
    first_run(settings)
    run(settings)
    next_file(settings, "next", 3000)
    run(settings)
    next_file(settings, "later", 4000)
    run(settings)
    return snapshot(settings)


def _not_a_time(mark: dict[str, Any], written: list[DemoFile], settings: Settings) -> None:
    mark["ingested_at"] = "not-a-time"


def _in_the_future(mark: dict[str, Any], written: list[DemoFile], settings: Settings) -> None:
    mark["ingested_at"] = "2099-01-01T00:00:00.000000Z"


def _done_past_the_file(mark: dict[str, Any], written: list[DemoFile], settings: Settings) -> None:
    # Back at the first file's first row, with its other rows (and more) said to be done.
    first = written[0].path.name
    mark.update(row=1, file=first, ingested_at=_ingested_at(settings, first))
    mark["done"] = [[mark["ingested_at"], first, 2, written[0].rows + 50]]


def _ingested_at(settings: Settings, name: str) -> str:
    ledger = json.loads(state_path(settings, "bronze_ledger").read_text())
    return next(f["ingested_at"] for f in ledger["files"] if f["file"] == name)


EDITS: dict[str, Edit] = {
    "not-a-time": _not_a_time,
    "in-the-future": _in_the_future,
    "done-past-the-file": _done_past_the_file,
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_watermark_bronze_does_not_hold_is_reported_then_rederived_losing_no_row(
    edit: str, tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written = first_run(settings)
    run(settings)
    path = state_path(settings, "silver_watermark")
    mark = json.loads(path.read_text())
    EDITS[edit](mark, written, settings)
    path.write_text(json.dumps(mark))  # its table marks are still right
    env = env_of(settings)

    check = lakeconsole(["check", "--json"], env)
    findings = [f for f in json.loads(check.stdout)["findings"] if f["code"] == "OPS-01"]
    assert check.returncode == 1
    assert [f["subject"] for f in findings] == [SILVER_ORDERS.name]
    assert (
        f"{path} names a place in bronze the ingestion ledger does not hold ("
        in (findings[0]["message"])
    )

    next_file(settings, "next", 3000)
    result = lakeconsole(["run"], env)
    assert result.returncode == 0, result.stderr
    warning = [x for x in result.stderr.splitlines() if str(path) in x]
    assert len(warning) == 1, result.stderr
    assert warning[0].startswith(
        f"warning: {path} names a place in bronze the ingestion ledger does not hold ("
    )
    assert warning[0].endswith(
        f": re-deriving silver from all {count_bronze(settings):,} bronze lines"
    )

    next_file(settings, "later", 4000)  # and the files after it are not dropped either
    again = lakeconsole(["run"], env)
    assert again.returncode == 0 and "warning: " + str(path) not in again.stderr, again.stderr
    assert snapshot(settings) == clean


def count_bronze(settings: Settings) -> int:
    return count(settings, "bronze/sales_orders_raw")


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
