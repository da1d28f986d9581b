"""The sales pipeline's tables in one place: every table it writes, its schema and version.

To add a gold table: declare its `TableSpec` below (path under `gold/<mart>/`), write a step
function like `core.sales.gold.run_daily_revenue`, and add a `Step` to `sales_steps()` in
`core/sales/steps.py` that depends on `silver_orders`. The README (The sales lakehouse
pipeline) walks through it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

# The declaration types are core's (any pipeline declares with them); importable from here too.
from lakeconsole.core.tables import Column, TableSpec, marts_of

MONEY = pa.decimal128(18, 2)
# Sums over a whole day of one product stay exact in 20 digits.
MONEY_SUM = pa.decimal128(20, 2)
UTC_TS = pa.timestamp("us", tz="UTC")

# The columns a landing CSV must have (in any order), as the demo writes them.
LANDING_COLUMNS: tuple[str, ...] = (
    "order_id",
    "line_no",
    "order_ts",
    "customer_id",
    "product_id",
    "region",
    "price",
    "qty",
    "tax",
    "currency",
)


LINEAGE = (
    Column("_source_file", pa.string(), "Landing file name the line came from"),
    Column("_source_hash", pa.string(), "SHA-256 of the landing file's content"),
    Column(
        "_source_row",
        pa.int64(),
        "Data row number in the landing file (1 = first after the header)",
    ),
    Column(
        "_ingested_at", UTC_TS, "When bronze ingested the file; later wins when a line is re-sent"
    ),
)

_RAW = tuple(
    Column(name, pa.string(), f"{name} exactly as in the landing file") for name in LANDING_COLUMNS
)

BRONZE_ORDERS = TableSpec(
    name="bronze/sales_orders_raw",
    layer="bronze",
    columns=(*_RAW, *LINEAGE, Column("_run_id", pa.string(), "Run that ingested the file")),
    version="1.0.0",
    description="Landing order lines as raw strings plus lineage. Append-only, never rewritten.",
    no_dictionary=("order_id", "order_ts", "price", "tax", "_source_row"),
)

SILVER_ORDERS = TableSpec(
    name="silver/sales_orders",
    layer="silver",
    columns=(
        Column("order_id", pa.string(), "Order identifier"),
        Column("line_no", pa.int64(), "Line number within the order"),
        Column("order_ts", UTC_TS, "When the order was placed, in UTC"),
        Column("order_date", pa.date32(), "UTC date of order_ts; the partition"),
        Column("customer_id", pa.string(), "Customer identifier"),
        Column("product_id", pa.string(), "Product identifier"),
        Column("region", pa.string(), "Sales region"),
        Column("price", MONEY, "Unit price, exact to the cent"),
        Column("qty", pa.int64(), "Units ordered (at least 1)"),
        Column("tax", MONEY, "Tax on the line, exact to the cent"),
        Column("currency", pa.string(), "ISO 4217 currency code"),
        *LINEAGE,
    ),
    version="1.0.0",
    description="Clean order lines: typed, validated, one live row per (order_id, line_no).",
    key=("order_id", "line_no"),
    # Daily partitions: a MERGE reads and rewrites only the days a batch touches, so its memory
    # and work follow the batch, not the size of the lake (a month partition grew with it).
    partition_by=("order_date",),
    zorder_by=("product_id", "customer_id"),
    no_dictionary=("order_id", "order_ts", "price", "tax", "_source_row"),
)

QUARANTINE_ROWS = TableSpec(
    name="quarantine/sales_orders_rejected",
    layer="quarantine",
    columns=(
        *_RAW,
        *LINEAGE,
        Column("rule", pa.string(), "First validation rule the line failed (listed in the README)"),
        Column("detail", pa.string(), "What was wrong, in words"),
        Column("_run_id", pa.string(), "Run that quarantined the line"),
    ),
    version="1.0.0",
    description="Landing lines that failed a silver validation rule, with the rule and lineage.",
    key=("_source_hash", "_source_row"),
)

QUARANTINE_FILES = TableSpec(
    name="quarantine/sales_files_rejected",
    layer="quarantine",
    columns=(
        Column("file", pa.string(), "Landing file name (the file is left in place)"),
        Column("content_hash", pa.string(), "SHA-256 of the file's content"),
        Column("size_bytes", pa.int64(), "File size"),
        Column("reason", pa.string(), "Why it could not be read as the expected CSV"),
        Column("detected_at", UTC_TS, "When bronze rejected it"),
        Column("_run_id", pa.string(), "Run that rejected it"),
    ),
    version="1.0.0",
    description="Landing files bronze could not read (binary, empty, bad header, not UTF-8).",
    key=("file", "content_hash"),
)

GOLD_DAILY_REVENUE = TableSpec(
    name="gold/sales/daily_revenue",
    layer="gold",
    columns=(
        Column("order_date", pa.date32(), "UTC order date"),
        Column("region", pa.string(), "Sales region"),
        Column("product_id", pa.string(), "Product identifier"),
        Column("currency", pa.string(), "Currency of the amounts"),
        Column("gross_revenue", MONEY_SUM, "Σ(price × qty)"),
        Column("tax", MONEY_SUM, "Σ tax"),
        Column("net_revenue", MONEY_SUM, "Net Revenue = Σ(price × qty) − Σ tax"),
        Column("order_count", pa.int64(), "Distinct orders with a line of this product"),
        Column("line_count", pa.int64(), "Order lines"),
    ),
    version="1.0.0",
    description="Daily revenue per order date, region and product (mart sales).",
    key=("order_date", "region", "product_id", "currency"),
    partition_by=("order_date",),
    zorder_by=("region", "product_id"),
    mart="sales",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        BRONZE_ORDERS,
        SILVER_ORDERS,
        QUARANTINE_ROWS,
        QUARANTINE_FILES,
        GOLD_DAILY_REVENUE,
    )
}


def marts() -> dict[str, list[TableSpec]]:
    """Gold marts and their tables: {"sales": [daily_revenue]}. Each mart folder has a README.md."""
    return marts_of(TABLES)


def mart_dir(data_dir: Path, mart: str) -> Path:
    return data_dir / "gold" / mart


# The steps live in core/sales/steps.py (no pyarrow, for the console's start); these names stay
# importable from here for .env files that still say core.sales.definition:sales_steps.
from lakeconsole.core.sales.steps import landing_rejected, landing_waiting, sales_steps  # noqa: E402

__all__ = [
    "TABLES",
    "Column",
    "TableSpec",
    "landing_rejected",
    "landing_waiting",
    "mart_dir",
    "marts",
    "sales_steps",
]
