"""Do two lakes hold the same silver, gold and quarantine? lakeconsole's against the naive one.

Money is compared in cents (the naive lake keeps float64, lakeconsole decimal(18,2)); rows are
compared sorted by their key. Run as `python -m bench.compare LAKECONSOLE_DATA NAIVE_DATA`;
prints a JSON line {"silver": true, "gold": true, "quarantine": true, ...}."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SILVER = [
    "order_id",
    "line_no",
    "order_ts",
    "order_date",
    "order_month",
    "customer_id",
    "product_id",
    "region",
    "price",
    "qty",
    "tax",
    "currency",
    "_source_file",
    "_source_row",
]
GOLD = [
    "order_date",
    "region",
    "product_id",
    "currency",
    "gross_revenue",
    "tax",
    "net_revenue",
    "order_count",
    "line_count",
]
QUARANTINE = ["_source_file", "_source_row", "rule"]
MONEY = {"price", "tax", "gross_revenue", "net_revenue"}


def read(path: Path, columns: list[str], key: list[str]) -> Any:
    """The table's columns, money as whole cents, string views as strings, sorted by `key`."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable, QueryBuilder

    sql = "SELECT " + ", ".join(f'"{c}"' for c in columns) + " FROM t"
    table = pa.table(QueryBuilder().register("t", DeltaTable(str(path))).execute(sql))
    out = {}
    for name in columns:
        col = table.column(name)
        if name in MONEY:
            col = pc.cast(pc.round(pc.multiply(pc.cast(col, pa.float64()), 100.0)), pa.int64())
        elif pa.types.is_string_view(col.type) or pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        elif pa.types.is_integer(col.type):
            col = pc.cast(col, pa.int64())
        elif pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.timestamp("us", tz="UTC"))
        out[name] = col
    return pa.table(out).sort_by([(k, "ascending") for k in key]).combine_chunks()


def same(a: Path, b: Path, columns: list[str], key: list[str]) -> dict[str, Any]:
    """Compare the columns both tables have (a layout column such as a partition key may exist
    in one only); names the columns left out."""
    import pyarrow as pa
    from deltalake import DeltaTable

    names = [set(pa.schema(DeltaTable(str(p)).schema().to_arrow()).names) for p in (a, b)]
    shared = [c for c in columns if c in names[0] and c in names[1]]
    left, right = read(a, shared, key), read(b, shared, key)
    out: dict[str, Any] = {"equal": left.equals(right), "rows": [left.num_rows, right.num_rows]}
    if len(shared) < len(columns):
        out["not_compared"] = [c for c in columns if c not in shared]
    return out


def main() -> None:
    ours, naive = Path(sys.argv[1]), Path(sys.argv[2])
    report = {
        "silver": same(
            ours / "silver/sales_orders", naive / "silver", SILVER, ["order_id", "line_no"]
        ),
        "gold": same(
            ours / "gold/sales/daily_revenue",
            naive / "gold",
            GOLD,
            ["order_date", "region", "product_id", "currency"],
        ),
        "quarantine": same(
            ours / "quarantine/sales_orders_rejected",
            naive / "quarantine",
            QUARANTINE,
            ["_source_file", "_source_row"],
        ),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
