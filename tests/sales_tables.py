"""The shipped sales pipeline's declared tables under the names the tests use.

The pipeline declares them (pipelines/sales); the tests read them from the declaration, as
every feature does, instead of from a second list."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from lakeconsole.core.dag import Step
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.core.tables import Column, TableSpec
from lakeconsole.pipelines.sales import LANDING_COLUMNS, pipeline

_SPECS = pipeline.specs()
BRONZE_ORDERS: TableSpec = _SPECS["bronze/sales_orders_raw"]
SILVER_ORDERS: TableSpec = _SPECS["silver/sales_orders"]
QUARANTINE_ROWS: TableSpec = _SPECS["quarantine/sales_orders_rejected"]
QUARANTINE_FILES: TableSpec = _SPECS["quarantine/sales_files_rejected"]
GOLD_DAILY_REVENUE: TableSpec = _SPECS["gold/sales/daily_revenue"]
TABLES: dict[str, TableSpec] = dict(_SPECS)
MONEY = pa.decimal128(18, 2)
MONEY_SUM = pa.decimal128(20, 2)
UTC_TS = pa.timestamp("us", tz="UTC")


def mart_dir(data_dir: Path, mart: str) -> Path:
    return data_dir / "gold" / mart


__all__ = [
    "BRONZE_ORDERS",
    "GOLD_DAILY_REVENUE",
    "LANDING_COLUMNS",
    "MONEY",
    "MONEY_SUM",
    "QUARANTINE_FILES",
    "QUARANTINE_ROWS",
    "SILVER_ORDERS",
    "TABLES",
    "UTC_TS",
    "Column",
    "TableSpec",
    "landing_rejected",
    "landing_waiting",
    "mart_dir",
    "sales_steps",
]


def sales_steps() -> list[Step]:
    """The sales pipeline's steps, as the loader builds them from the declaration."""
    return pipeline.steps()


def landing_waiting(settings: Settings) -> set[str]:
    """What the landing panel shows as waiting, asked as the console asks it."""
    waiting = load_pipeline(settings).landing_waiting(settings)
    assert waiting is not None
    return waiting


def landing_rejected(settings: Settings) -> dict[str, str]:
    """What the landing panel shows as refused, asked as the console asks it."""
    rejected = load_pipeline(settings).landing_rejected(settings)
    assert rejected is not None
    return rejected
