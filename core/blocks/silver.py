"""The silver block (being generalised from core/sales in issue 14)."""

from __future__ import annotations

from lakeconsole.core.api import Table
from lakeconsole.core.dag import PipelineError, StepContext, StepResult


def run(ctx: StepContext, table: Table) -> StepResult:
    if table.pipeline.name != "sales":
        raise PipelineError(f"{table.name}: the silver block runs only the sales pipeline yet")
    from lakeconsole.core.sales.silver import run_silver

    return run_silver(ctx)
