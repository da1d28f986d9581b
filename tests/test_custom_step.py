"""`@pipeline.step`: any Python, writing its declared tables through ctx.append/merge/overwrite."""

from __future__ import annotations

import json
import threading
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from lakeconsole import Pipeline, StepContext, StepResult, col
from lakeconsole.core.api import CustomStep
from lakeconsole.core.blocks.custom import run_custom
from lakeconsole.core.contracts import ContractError
from lakeconsole.core.dag import Pipeline as Dag
from lakeconsole.core.dag import PipelineError
from lakeconsole.core.events import RunStatus
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings

COLUMNS = [
    col("customer_id", "string", "Customer"),
    col("day", "date", "Day of the visit"),
    col("visits", "int64", "Visits that day"),
]


def _visits(rows: list[tuple[str, str, int]]) -> pa.Table:
    import datetime as dt

    return pa.table(
        {
            "visits": [r[2] for r in rows],  # any column order: the declaration orders them
            "customer_id": [r[0] for r in rows],
            "day": [dt.date.fromisoformat(r[1]) for r in rows],
        }
    )


def _declare(run: Any, *, version: str = "1.0.0", visits_type: str = "int64") -> Pipeline:
    shop = Pipeline("shop")
    columns = [*COLUMNS[:2], col("visits", visits_type, "Visits that day")]
    visits = shop.table(
        "silver/visits",
        columns=columns,
        key=("customer_id", "day"),
        partition_by=("day",),
        version=version,
    )
    shop.table("quarantine/visit_log", columns=columns)
    shop.step(writes=[visits, shop.declared["quarantine/visit_log"]])(run)
    return shop


def _step(shop: Pipeline) -> CustomStep:
    return shop._custom[0]


def _ctx(settings: Settings) -> StepContext:
    return StepContext(settings, "run-1", "visits", lambda *a: None, threading.Event())


def _path(settings: Settings, name: str) -> str:
    return str(settings.data_dir / name)


def _rows(settings: Settings, name: str) -> list[tuple[Any, ...]]:
    table = pa.table(DeltaTable(_path(settings, name)).to_pyarrow_table())
    return sorted((r["customer_id"], str(r["day"]), r["visits"]) for r in table.to_pylist())


BATCH = [("c1", "2024-03-01", 2), ("c2", "2024-03-01", 1), ("c1", "2024-03-02", 5)]


def test_a_step_merges_on_the_key_and_a_rerun_of_the_same_rows_commits_nothing(
    settings: Settings,
) -> None:
    batches = [BATCH, BATCH, [("c1", "2024-03-01", 3), ("c3", "2024-03-02", 1)]]

    def load(ctx: Any) -> None:
        ctx.merge("silver/visits", _visits(batches.pop(0)))

    shop = _declare(load)
    first = run_custom(_ctx(settings), _step(shop))
    assert (first.records_in, first.records_out) == (3, 3)
    version = DeltaTable(_path(settings, "silver/visits")).version()

    again = run_custom(_ctx(settings), _step(shop))
    assert DeltaTable(_path(settings, "silver/visits")).version() == version  # nothing committed
    assert (again.records_in, again.records_out) == (3, 0)

    run_custom(_ctx(settings), _step(shop))  # c1 on 03-01 updated, c3 inserted
    assert _rows(settings, "silver/visits") == [
        ("c1", "2024-03-01", 3),
        ("c1", "2024-03-02", 5),
        ("c2", "2024-03-01", 1),
        ("c3", "2024-03-02", 1),
    ]
    dt = DeltaTable(_path(settings, "silver/visits"))
    assert dt.metadata().partition_columns == ["day"]
    assert dt.metadata().configuration["lakeconsole.schema_version"] == "1.0.0"
    for entry in dt.history():
        assert json.loads(entry["userMetadata"]) == {"version": "1.0.0"}


def test_append_to_silver_is_refused_naming_ops_02_and_what_to_use(settings: Settings) -> None:
    def load(ctx: Any) -> None:
        ctx.append("silver/visits", _visits(BATCH))

    shop = _declare(load)
    outcome = run_pipeline(Dag(shop.steps()), settings)
    assert outcome.status == RunStatus.FAILED
    error = outcome.error or ""
    assert "OPS-02" in error and "ctx.merge" in error and "ctx.overwrite" in error
    assert not (settings.data_dir / "silver" / "visits").exists()


def test_append_to_quarantine_is_allowed_and_carries_the_version(settings: Settings) -> None:
    def load(ctx: Any) -> None:
        ctx.append("quarantine/visit_log", _visits(BATCH))

    run_custom(_ctx(settings), _step(_declare(load)))
    dt = DeltaTable(_path(settings, "quarantine/visit_log"))
    assert len(_rows(settings, "quarantine/visit_log")) == 3
    assert json.loads(dt.history(1)[0]["userMetadata"]) == {"version": "1.0.0"}


def test_a_table_the_step_did_not_declare_is_refused(settings: Settings) -> None:
    def load(ctx: Any) -> None:
        ctx.overwrite("silver/other", _visits(BATCH))

    shop = _declare(load)
    with pytest.raises(PipelineError, match="does not declare: add it to writes="):
        run_custom(_ctx(settings), _step(shop))
    assert not (settings.data_dir / "silver" / "other").exists()


def test_a_contract_break_is_refused_before_anything_is_committed(settings: Settings) -> None:
    def load(ctx: Any) -> None:
        ctx.merge("silver/visits", _visits(BATCH))

    run_custom(_ctx(settings), _step(_declare(load)))
    version = DeltaTable(_path(settings, "silver/visits")).version()
    # visits retyped to text without a major version bump: OPS-06 refuses it.
    retyped = _declare(lambda ctx: ctx.merge("silver/visits", _visits(BATCH)), visits_type="string")
    with pytest.raises(ContractError, match="OPS-06"):
        run_custom(_ctx(settings), _step(retyped))
    assert DeltaTable(_path(settings, "silver/visits")).version() == version


def test_rows_without_a_declared_column_are_refused_naming_it(settings: Settings) -> None:
    def load(ctx: Any) -> None:
        ctx.merge("silver/visits", _visits(BATCH).drop_columns(["visits"]))

    with pytest.raises(PipelineError, match="the rows lack visits"):
        run_custom(_ctx(settings), _step(_declare(load)))
    assert not (settings.data_dir / "silver" / "visits").exists()


def test_overwrite_where_replaces_only_the_matching_rows(settings: Settings) -> None:
    def load(ctx: Any) -> StepResult:
        ctx.overwrite("silver/visits", _visits(BATCH))
        ctx.overwrite(
            "silver/visits", _visits([("c9", "2024-03-02", 7)]), where="day = '2024-03-02'"
        )
        return StepResult(records_out=42)

    result = run_custom(_ctx(settings), _step(_declare(load)))
    assert result.records_out == 42  # the step's own result is kept
    assert _rows(settings, "silver/visits") == [
        ("c1", "2024-03-01", 2),
        ("c2", "2024-03-01", 1),
        ("c9", "2024-03-02", 7),
    ]


def _status_pipeline(run: Any) -> Pipeline:
    """A step table with three columns besides its key: the newcomer's device status."""
    shop = Pipeline("shop")
    status = shop.table(
        "silver/device_status",
        columns=[
            col("device_id", "string", "Device"),
            col("firmware", "string", "Firmware"),
            col("online", "bool", "Seen in the last hour"),
            col("readings", "int64", "Readings so far"),
        ],
        key=("device_id",),
    )
    shop.step(writes=[status])(run)
    return shop


def _status(rows: list[tuple[str, str, bool, int]]) -> pa.Table:
    names = ("device_id", "firmware", "online", "readings")
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


def test_a_merge_into_a_table_of_several_columns_updates_what_changed(settings: Settings) -> None:
    # The changed-row condition is one OR per column: unbracketed, DataFusion refused it for
    # any table with two or more columns besides its key ("Utf8 OR Boolean").
    batches = [
        [("d1", "1.0", True, 3), ("d2", "1.0", False, 1)],
        [("d1", "1.1", True, 4), ("d2", "1.0", False, 1)],
    ]
    shop = _status_pipeline(lambda ctx: ctx.merge("silver/device_status", _status(batches.pop(0))))
    run_custom(_ctx(settings), _step(shop))
    second = run_custom(_ctx(settings), _step(shop))
    table = DeltaTable(_path(settings, "silver/device_status"))
    assert sorted(tuple(r.values()) for r in table.to_pyarrow_table().to_pylist()) == [
        ("d1", "1.1", True, 4),
        ("d2", "1.0", False, 1),
    ]
    assert second.records_out == 1  # d2 did not change: not rewritten


def test_a_step_reads_what_it_declares_and_is_told_what_it_does_not(settings: Settings) -> None:
    seen: list[Any] = []

    def twice(ctx: Any) -> None:
        ctx.merge("silver/device_status", _status([("d1", "1.0", True, 3)]))
        seen.append(ctx.read("silver/device_status", columns=["device_id", "readings"]))
        seen.append(ctx.sql("SELECT count(*) AS n FROM device_status").column("n")[0].as_py())
        ctx.read("silver/elsewhere")

    with pytest.raises(PipelineError) as refused:
        run_custom(_ctx(settings), _step(_status_pipeline(twice)))
    assert seen[0].to_pylist() == [{"device_id": "d1", "readings": 3}]
    assert seen[1] == 1
    assert "step twice: reads silver/elsewhere, which is not among the tables it declares" in str(
        refused.value
    )


def test_a_step_returning_what_merge_returned_keeps_its_committed_writes_with_a_warning(
    settings: Settings,
) -> None:
    # The guide's first example once ended `return ctx.merge(...)`: the MERGE was committed and
    # the step then failed, reporting as undone a write that was done.
    shop = _status_pipeline(
        lambda ctx: ctx.merge("silver/device_status", _status([("d1", "1.0", True, 3)]))
    )
    result = run_custom(_ctx(settings), _step(shop))
    assert result.records_out == 1
    assert result.warnings == [
        "step <lambda> returned int, which is ignored: return None or a StepResult "
        "(lakeconsole.StepResult)"
    ]


def test_an_overwrite_given_rows_outside_its_condition_names_the_fix(settings: Settings) -> None:
    def outside(ctx: Any) -> None:
        ctx.overwrite(
            "silver/device_status", _status([("d9", "1.0", True, 1)]), where="device_id = 'd1'"
        )

    with pytest.raises(PipelineError) as refused:
        run_custom(_ctx(settings), _step(_status_pipeline(outside)))
    assert "got rows outside that condition: pass only rows that match it, or widen where=" in str(
        refused.value
    )
