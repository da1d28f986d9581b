"""The shipped pipeline's steps: bronze_ingest → silver_orders → gold_daily_revenue (OPS-01).

Kept apart from `definition.py` (the tables and their schemas) because the console loads the
steps before its first screen, and the schemas need pyarrow (about 0.1 s to import): the steps
name their tables by path only, and the step bodies import their layer when they run.
`tests/test_sales_definition.py` checks these names against the declared tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeconsole.core.dag import Step, StepContext, StepResult
from lakeconsole.core.events import Layer
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.governance import Finding

BRONZE_TABLE = "bronze/sales_orders_raw"
SILVER_TABLE = "silver/sales_orders"
GOLD_TABLE = "gold/sales/daily_revenue"


def _bronze(ctx: StepContext) -> StepResult:
    from lakeconsole.core.sales.bronze import run_bronze

    return run_bronze(ctx)


def _silver(ctx: StepContext) -> StepResult:
    from lakeconsole.core.blocks.silver import run
    from lakeconsole.core.sales import declared

    return run(ctx, declared.silver())


def _gold(ctx: StepContext) -> StepResult:
    from lakeconsole.core.sales.gold import run_daily_revenue

    return run_daily_revenue(ctx)


def landing_waiting(settings: Settings) -> set[str]:
    """Names of landing files not ingested yet (the console's landing panel asks this)."""
    from lakeconsole.core.blocks.ledger import waiting_files
    from lakeconsole.core.sales import declared

    return waiting_files(settings, declared.bronze())


def landing_rejected(settings: Settings) -> dict[str, str]:
    """Landing files bronze refused, with why (the console's landing panel lists them)."""
    from lakeconsole.core.blocks.ledger import rejected_files
    from lakeconsole.core.sales import declared

    return rejected_files(settings, declared.bronze())


def check_findings(settings: Settings) -> list[Finding]:
    """`lakeconsole check`: sales state files that describe a later state than their tables."""
    from lakeconsole.core.sales.state_check import state_findings

    return state_findings(settings)


def sales_steps() -> list[Step]:
    """The shipped pipeline: bronze_ingest → silver_orders → gold_daily_revenue (OPS-01)."""
    return [
        Step(
            "bronze_ingest",
            Layer.BRONZE,
            _bronze,
            (),
            (BRONZE_TABLE,),
            "Append new landing CSV files to bronze as raw strings with lineage",
        ),
        Step(
            "silver_orders",
            Layer.SILVER,
            _silver,
            ("bronze_ingest",),
            (SILVER_TABLE,),
            "Cast, validate (bad lines to quarantine), dedupe and MERGE into silver",
        ),
        Step(
            "gold_daily_revenue",
            Layer.GOLD,
            _gold,
            ("silver_orders",),
            (GOLD_TABLE,),
            "Recompute daily revenue for the order dates silver changed",
        ),
    ]


def __getattr__(name: str) -> object:
    """`TABLES`, for readers that find a pipeline's declared tables in its module (contracts,
    data dictionary): loaded from definition.py when first asked for, not at import."""
    if name == "TABLES":
        from lakeconsole.core.sales.definition import TABLES

        return TABLES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
