"""Helpers for the sales pipeline tests: landing files, in-process runs, table snapshots."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from lakeconsole.core.blocks.tables import query
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import RunOutcome, run_pipeline
from lakeconsole.core.settings import Settings
from tests.sales_tables import (
    BRONZE_ORDERS,
    GOLD_DAILY_REVENUE,
    LANDING_COLUMNS,
    QUARANTINE_FILES,
    QUARANTINE_ROWS,
    SILVER_ORDERS,
)

# The `cli` fixture of conftest: runs the real CLI in a subprocess.
CLI = Callable[..., subprocess.CompletedProcess[str]]
HEADER = ",".join(LANDING_COLUMNS)
# Columns that differ between two lakes fed the same files (times and run ids).
VOLATILE = {"_ingested_at", "_run_id", "detected_at"}


def landing(settings: Settings) -> Path:
    return settings.data_dir / "landing"


def write_csv(
    settings: Settings,
    name: str,
    lines: list[str],
    header: str = HEADER,
    newline: str = "\n",
    bom: bool = False,
) -> Path:
    """A landing CSV file from text lines (values as written, commas between)."""
    text = newline.join([header, *lines]) + newline
    path = landing(settings) / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def line(
    order_id: str = "A1",
    line_no: str = "1",
    order_ts: str = "2024-03-01T10:00:00Z",
    customer_id: str = "C1",
    product_id: str = "P1",
    region: str = "north",
    price: str = "10.00",
    qty: str = "1",
    tax: str = "2.00",
    currency: str = "EUR",
) -> str:
    return ",".join(
        [order_id, line_no, order_ts, customer_id, product_id, region, price, qty, tax, currency]
    )


def run(settings: Settings) -> RunOutcome:
    """The whole pipeline in this process, asserting it succeeded."""
    outcome = run_pipeline(load_pipeline(), settings)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    return outcome


def table(settings: Settings, name: str) -> DeltaTable:
    return DeltaTable(str(settings.data_dir / name))


def rows(settings: Settings, name: str, drop: set[str] = VOLATILE) -> list[dict[str, Any]]:
    """A table's rows, sorted, without the columns that name a time or a run."""
    path = settings.data_dir / name
    if not (path / "_delta_log").is_dir():
        return []
    data = query(DeltaTable(str(path)), "SELECT * FROM t")
    data = data.select([c for c in data.column_names if c not in drop])
    out = data.to_pylist()
    return sorted(out, key=lambda r: [str(r[k]) for k in sorted(r)])


def versions(settings: Settings) -> dict[str, int]:
    """Current version of every pipeline table that exists."""
    out = {}
    for spec in (
        BRONZE_ORDERS,
        SILVER_ORDERS,
        QUARANTINE_ROWS,
        QUARANTINE_FILES,
        GOLD_DAILY_REVENUE,
    ):
        path = spec.path(settings.data_dir)
        if (path / "_delta_log").is_dir():
            out[spec.name] = DeltaTable(str(path)).version()
    return out


def snapshot(settings: Settings) -> dict[str, Any]:
    """What a user would compare between two lakes: every table's content, bronze by count."""
    return {
        "bronze_rows": len(rows(settings, BRONZE_ORDERS.name)),
        "silver": rows(settings, SILVER_ORDERS.name),
        "quarantine": rows(settings, QUARANTINE_ROWS.name),
        "files_rejected": rows(settings, QUARANTINE_FILES.name),
        "gold": rows(settings, GOLD_DAILY_REVENUE.name),
    }


def count(settings: Settings, name: str) -> int:
    path = settings.data_dir / name
    if not (path / "_delta_log").is_dir():
        return 0
    result: pa.Table = query(DeltaTable(str(path)), "SELECT count(*) AS n FROM t")
    return int(result.column(0)[0].as_py())


# The sales pipeline's state files, by what they hold (core/blocks/state.py names them).
STATE_FILES = {
    "bronze_ledger": "sales_orders_raw.ledger.json",
    "silver_watermark": "sales_orders.watermark.json",
    "gold_pending": "daily_revenue.pending.json",
}


def state_file(settings: Settings, name: str) -> Path:
    """Where the sales pipeline keeps its state `name` (bronze_ledger, silver_watermark...)."""
    return settings.state_dir / "sales" / STATE_FILES[name]
