"""The naive reference: the pipeline the way the runbook's example suggests it, in pandas.

Bronze appends each landing file with `pd.read_csv` + `write_deltalake`; silver reads all of
bronze into one DataFrame, cleans it with the same rules as lakeconsole, drops duplicates and
MERGEs it (a pandas-sourced MERGE) into an unpartitioned table; gold reads all of silver,
groups it and overwrites the table. Money is float64 here, as pandas code usually has it; the
comparison rounds it to cents.

Run as `python -m bench.naive LANDING_DIR DATA_DIR`; prints a JSON line with each layer's
start and end time."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TS_SHAPE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?"
MONEY_SHAPE = r"[+-]?\d{1,16}(\.\d{1,2})?"
INT_SHAPE = r"[+-]?\d{1,18}"
TEXT = ["order_id", "customer_id", "product_id", "region"]


def bronze(landing: Path, data: Path) -> int:
    """Append every landing file, as strings plus lineage, one write per file."""
    import pandas as pd
    from deltalake import write_deltalake

    rows = 0
    start = datetime.now(UTC)
    for k, path in enumerate(sorted(landing.glob("*.csv"))):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df["_source_file"] = path.name
        df["_source_hash"] = hashlib.sha256(path.read_bytes()).hexdigest()
        df["_source_row"] = range(1, len(df) + 1)
        df["_ingested_at"] = pd.Timestamp(start + timedelta(microseconds=k))
        write_deltalake(str(data / "bronze"), df, mode="append")
        rows += len(df)
    return rows


def silver(data: Path) -> None:
    """Clean all of bronze at once and MERGE it into silver."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    df = _read(DeltaTable(str(data / "bronze")))
    for column in ["order_id", "line_no", "order_ts", *TEXT[1:], "price", "qty", "tax", "currency"]:
        df[column] = df[column].str.strip()
    ts_ok = df["order_ts"].str.fullmatch(TS_SHAPE)
    ts = pd.to_datetime(df["order_ts"].where(ts_ok), format="ISO8601", utc=True, errors="coerce")
    line_no = pd.to_numeric(df["line_no"].where(df["line_no"].str.fullmatch(INT_SHAPE)))
    qty = pd.to_numeric(df["qty"].where(df["qty"].str.fullmatch(INT_SHAPE)))
    price = pd.to_numeric(df["price"].where(df["price"].str.fullmatch(MONEY_SHAPE)))
    tax = pd.to_numeric(df["tax"].where(df["tax"].str.fullmatch(MONEY_SHAPE)))
    currency = df["currency"].str.upper()
    rules = [
        ("order_id_missing", df["order_id"] == ""),
        ("line_no_invalid", line_no.isna() | (line_no < 1)),
        ("order_ts_unparseable", ts.isna()),
        ("customer_id_missing", df["customer_id"] == ""),
        ("product_id_missing", df["product_id"] == ""),
        ("region_missing", df["region"] == ""),
        ("price_not_a_number", price.isna()),
        ("price_negative", price < 0),
        ("qty_not_an_integer", qty.isna()),
        ("qty_not_positive", qty < 1),
        ("tax_not_a_number", tax.isna()),
        ("tax_negative", tax < 0),
        ("currency_invalid", ~currency.str.fullmatch("[A-Z]{3}")),
    ]
    failed = [mask.fillna(False).to_numpy(dtype=bool) for _, mask in rules]
    bad = np.logical_or.reduce(failed)
    rejected = df[bad].copy()
    rejected["rule"] = np.select(failed, [name for name, _ in rules], default="")[bad]
    write_deltalake(str(data / "quarantine"), rejected, mode="append")

    good = ~bad
    clean = pd.DataFrame(
        {
            "order_id": df["order_id"],
            "line_no": line_no,
            "order_ts": ts,
            "customer_id": df["customer_id"],
            "product_id": df["product_id"],
            "region": df["region"],
            "price": price,
            "qty": qty,
            "tax": tax,
            "currency": currency,
            "_source_file": df["_source_file"],
            "_source_row": df["_source_row"],
            "_ingested_at": df["_ingested_at"],
        }
    )[good]
    clean["line_no"] = clean["line_no"].astype("int64")
    clean["qty"] = clean["qty"].astype("int64")
    clean["order_date"] = clean["order_ts"].dt.date
    clean["order_month"] = clean["order_ts"].dt.strftime("%Y-%m")
    clean = clean.sort_values(["order_id", "line_no", "_ingested_at", "_source_row"])
    clean = clean.drop_duplicates(["order_id", "line_no"], keep="last").reset_index(drop=True)

    path = str(data / "silver")
    try:
        target = DeltaTable(path)
    except Exception:  # the first run: create the table from the frame's schema
        # From one row: an empty pandas 3 frame gives its date column the type `void`, which
        # every later MERGE refuses (PIPELINE-NOTES.md).
        schema = pa.Table.from_pandas(clean.head(1), preserve_index=False).schema
        target = DeltaTable.create(path, schema)
    (
        target.merge(
            clean,
            "t.order_id = s.order_id AND t.line_no = s.line_no",
            source_alias="s",
            target_alias="t",
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )


def gold(data: Path) -> None:
    """Daily revenue per date, region, product and currency, over all of silver."""
    from deltalake import DeltaTable, write_deltalake

    df = _read(DeltaTable(str(data / "silver")))
    df["amount"] = df["price"] * df["qty"]
    out = (
        df.groupby(["order_date", "region", "product_id", "currency"])
        .agg(
            gross_revenue=("amount", "sum"),
            tax=("tax", "sum"),
            order_count=("order_id", "nunique"),
            line_count=("order_id", "size"),
        )
        .reset_index()
    )
    out["gross_revenue"] = out["gross_revenue"].round(2)
    out["tax"] = out["tax"].round(2)
    out["net_revenue"] = (out["gross_revenue"] - out["tax"]).round(2)
    write_deltalake(str(data / "gold"), out, mode="overwrite")


def _read(dt: Any) -> Any:
    # QueryBuilder rather than dt.to_pandas(): the latter can abort the process at exit
    # (DELTALAKE-NOTES.md), which would look like a failed benchmark.
    import pyarrow as pa
    from deltalake import QueryBuilder

    table = pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t"))
    plain = [
        pa.field(f.name, pa.string()) if f.type == pa.string_view() else f for f in table.schema
    ]
    return table.cast(pa.schema(plain)).to_pandas()


def main() -> None:
    landing, data = Path(sys.argv[1]), Path(sys.argv[2])
    layers: dict[str, list[float]] = {}
    t = time.time()
    rows = bronze(landing, data)
    layers["bronze"] = [t, time.time()]
    t = time.time()
    silver(data)
    layers["silver"] = [t, time.time()]
    t = time.time()
    gold(data)
    layers["gold"] = [t, time.time()]
    print(json.dumps({"rows": rows, "layers": layers}))


if __name__ == "__main__":
    main()
