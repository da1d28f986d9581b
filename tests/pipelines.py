"""Small real pipelines for the orchestrator's tests (LAKECONSOLE_PIPELINE=tests.pipelines:NAME).

Each step writes a tiny real Delta table, so "no table downstream is written" can be checked on disk.
"""

from __future__ import annotations

import time

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.dag import Step, StepContext, StepResult
from lakeconsole.core.events import Layer


def _write(ctx: StepContext, table: str, rows: int) -> StepResult:
    data = pa.table({"id": list(range(rows)), "step": [ctx.step] * rows})
    write_deltalake(str(ctx.data_dir / table), data, mode="overwrite")
    return StepResult(
        records_in=rows, records_out=rows, landing_rows=rows if "bronze" in table else 0
    )


def _fail(ctx: StepContext) -> StepResult:
    raise ValueError("landing file orders_bad.csv has no header row\nexpected: order_id, line_no")


def _wait_for_release(ctx: StepContext) -> StepResult:
    """Blocks until the test creates `release` in the data dir, checking for cancel meanwhile."""
    marker = ctx.data_dir / "release"
    (ctx.data_dir / "step-started").touch()
    while not marker.exists():
        ctx.check_cancelled()
        time.sleep(0.02)
    return _write(ctx, "bronze/orders", 3)


def _steps(bronze_run, extra_bronze: bool = False) -> list[Step]:  # type: ignore[no-untyped-def]
    steps = [
        Step("ingest", Layer.BRONZE, bronze_run, outputs=("bronze/orders",)),
        Step(
            "clean",
            Layer.SILVER,
            lambda c: _write(c, "silver/orders", 3),
            ("ingest",),
            outputs=("silver/orders",),
        ),
        Step(
            "aggregate",
            Layer.GOLD,
            lambda c: _write(c, "gold/sales/daily", 1),
            ("clean",),
            outputs=("gold/sales/daily",),
        ),
    ]
    if extra_bronze:
        # An independent branch: must be unaffected by a failure of `ingest`.
        steps.append(
            Step(
                "ingest_fx",
                Layer.BRONZE,
                lambda c: _write(c, "bronze/fx", 2),
                outputs=("bronze/fx",),
            )
        )
    return steps


def good() -> list[Step]:
    return _steps(lambda c: _write(c, "bronze/orders", 3))


def failing_bronze() -> list[Step]:
    return _steps(_fail, extra_bronze=True)


def blocking_bronze() -> list[Step]:
    return _steps(_wait_for_release)


def cyclic() -> list[Step]:
    noop = lambda c: StepResult()  # noqa: E731
    return [
        Step("a", Layer.SILVER, noop, ("b",)),
        Step("b", Layer.SILVER, noop, ("a",)),
    ]
