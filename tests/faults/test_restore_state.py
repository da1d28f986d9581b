"""State files that know their table's version: after a RESTORE (or a wrong-shaped state file)
the next run re-derives, says so in one line, and ends where a clean run ends."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.explorer.restore import plan_restore, restore_version
from lakeconsole.core.lake import ensure_layout
from lakeconsole.core.settings import Settings
from lakeconsole.pipelines.sales.demo import DemoFile, write_demo
from tests.conftest import lakeconsole
from tests.sales_fixtures import count, run, snapshot, table, versions
from tests.sales_fixtures import state_file as state_path
from tests.sales_tables import GOLD_DAILY_REVENUE, QUARANTINE_ROWS, SILVER_ORDERS


def two_runs(settings: Settings) -> tuple[list[DemoFile], dict[str, int]]:
    """Two demo files, a run, a third file, a run. Returns the files and the versions after
    the first run (the earlier versions a user would restore to)."""
    spare = settings.data_dir.parent / "spare"
    written = write_demo(spare, rows=3000, files=3, seed=13)
    landing = settings.data_dir / "landing"
    for demo in written[:2]:
        demo.path.rename(landing / demo.path.name)
    run(settings)
    first = versions(settings)
    written[2].path.rename(landing / written[2].path.name)
    run(settings)
    return written, first


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the two runs give on a lake nobody restored."""
    settings = lake(tmp_path_factory.mktemp("clean"))
    two_runs(settings)
    return snapshot(settings)


def lake(root: Path) -> Settings:
    from lakeconsole.core.settings import load_settings

    (root / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    ensure_layout(root / "data")
    (root / "logs").mkdir(exist_ok=True)
    return load_settings({"LAKECONSOLE_HOME": str(root)})


def env_of(settings: Settings) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    return {**env, "LAKECONSOLE_HOME": str(settings.data_dir.parent)}


def accounted(settings: Settings, written: list[DemoFile]) -> bool:
    """Every landing row is in exactly one place: live, superseded or quarantined."""
    live, quarantined = count(settings, SILVER_ORDERS.name), count(settings, QUARANTINE_ROWS.name)
    return sum(f.rows for f in written) == live + sum(f.resent for f in written) + quarantined


def restore(settings: Settings, name: str, version: int) -> None:
    restore_version(plan_restore(settings.data_dir / name, version), settings)


def test_run_after_silver_restore_rederives_and_loses_no_row(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written, first = two_runs(settings)
    restore(settings, SILVER_ORDERS.name, first[SILVER_ORDERS.name])
    lines = count(settings, "bronze/sales_orders_raw")

    result = lakeconsole(["run"], env_of(settings))

    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {SILVER_ORDERS.name} was restored to version {first[SILVER_ORDERS.name]} "
        f"after the last run: re-deriving silver from all {lines:,} bronze lines"
    ) in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)
    tables = versions(settings)
    again = lakeconsole(["run"], env_of(settings))  # caught up: the next run is a no-op again
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr
    assert versions(settings) == tables


def test_run_after_gold_restore_recomputes_every_date(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written, first = two_runs(settings)
    restore(settings, GOLD_DAILY_REVENUE.name, first[GOLD_DAILY_REVENUE.name])

    result = lakeconsole(["run"], env_of(settings))

    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {GOLD_DAILY_REVENUE.name} was restored to version "
        f"{first[GOLD_DAILY_REVENUE.name]} after the last run: recomputing gold for all"
    ) in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)


def test_run_after_quarantine_restore_puts_the_quarantined_lines_back(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written, first = two_runs(settings)
    restore(settings, QUARANTINE_ROWS.name, first[QUARANTINE_ROWS.name])
    silver = table(settings, SILVER_ORDERS.name).version()

    result = lakeconsole(["run"], env_of(settings))

    assert result.returncode == 0, result.stderr
    assert f"warning: {QUARANTINE_ROWS.name} was restored to version" in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)
    assert table(settings, SILVER_ORDERS.name).version() == silver  # re-merging changed nothing


def test_a_silver_table_rebuilt_by_hand_is_noticed_by_its_commit_time(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written, _ = two_runs(settings)
    mark = json.loads(state_path(settings, "silver_watermark").read_text())
    mark["tables"]["silver"]["timestamp"] -= 1000  # as if this version were another commit

    state_path(settings, "silver_watermark").write_text(json.dumps(mark))
    result = lakeconsole(["run"], env_of(settings))

    assert result.returncode == 0, result.stderr
    assert f"{SILVER_ORDERS.name} was rebuilt" in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)


WRONG_SHAPES = {
    "silver_watermark": [
        [],
        {"ingested_at": "2024-01-01T00:00:00Z", "file": "a.csv", "row": "x"},
        {"done": [["2024-01-01T00:00:00Z", "a.csv", 1]]},
    ],
    "gold_pending": [[], {"dates": "2024-01-01"}, {"dates": [["2024-01-01", 1, 2]]}],
}


@pytest.mark.parametrize(
    ("name", "content"),
    [(name, shape) for name, shapes in WRONG_SHAPES.items() for shape in shapes],
    ids=lambda v: v if isinstance(v, str) else json.dumps(v)[:30],
)
def test_a_state_file_of_the_wrong_shape_is_named_and_treated_as_missing(
    name: str, content: object, tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    spare = settings.data_dir.parent / "spare"
    written = write_demo(spare, rows=3000, files=3, seed=13)
    for demo in written[:2]:
        demo.path.rename(settings.data_dir / "landing" / demo.path.name)
    run(settings)
    written[2].path.rename(settings.data_dir / "landing" / written[2].path.name)
    state_path(settings, name).write_text(json.dumps(content))

    result = lakeconsole(["run"], env_of(settings))

    assert result.returncode == 0, result.stderr
    assert f"warning: {state_path(settings, name)} is not a state lakeconsole wrote (" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)


def test_silver_says_which_batch_it_reads_before_the_first_is_merged(tmp_path: Path) -> None:
    from lakeconsole.core.events import Event, StepProgress
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline

    settings = replace(lake(tmp_path), silver_batch_rows=1000)
    write_demo(settings.data_dir / "landing", rows=3000, files=1, seed=2)
    events: list[Event] = []
    run_pipeline(load_pipeline(), settings, events.append)
    silver = [e for e in events if isinstance(e, StepProgress) and e.step == "silver_orders"]
    first = silver[0]
    assert first.done == 0
    assert first.message.startswith("reading batch 1 of ")
    total = int(first.message.rsplit(" ", 1)[1])
    assert total >= 3
    assert [e.message for e in silver[1:3]] == [
        f"merged batch 1 of {total}",
        f"reading batch 2 of {total}",
    ]


def test_check_reports_a_state_file_ahead_of_its_restored_table(tmp_path: Path) -> None:
    settings = lake(tmp_path)
    _, first = two_runs(settings)
    restore(settings, SILVER_ORDERS.name, first[SILVER_ORDERS.name])
    restore(settings, GOLD_DAILY_REVENUE.name, first[GOLD_DAILY_REVENUE.name])

    result = lakeconsole(["check"], env_of(settings))

    assert (
        f"OPS-01 {SILVER_ORDERS.name}: the pipeline's state is ahead of the table "
        f"({SILVER_ORDERS.name} was restored to version {first[SILVER_ORDERS.name]} after the "
        "last run); run `lakeconsole run`: it re-derives silver"
    ) in result.stdout
    assert f"OPS-01 {GOLD_DAILY_REVENUE.name}: " in result.stdout
    assert "run `lakeconsole run`: it recomputes gold" in result.stdout
    assert lakeconsole(["run"], env_of(settings)).returncode == 0
    assert "OPS-01" not in lakeconsole(["check"], env_of(settings)).stdout
