"""The minimal three-layer pipeline: the runbook's three Delta layers and nothing else.

Bronze: each landing CSV read with pyarrow, the same lineage columns as lakeconsole's added,
appended to a Delta table (one commit per file, as OPS-02's append-only bronze). Silver: bronze
read back and cast to silver's types with DataFusion's TRY_CAST (no validation rules, no
quarantine, no dedupe, no MERGE), one Delta append partitioned by order_date. Gold: silver
grouped by date, region, product and currency with pyarrow, one overwrite. What lakeconsole
does on top of this (13 rules, quarantine, one live row per key, MERGEs that a re-run can
repeat, crash-safe progress) is its price over this baseline. (Its gold groups all of silver at
once; lakeconsole's, a week at a time on two threads, is faster.)

Run as `python -m bench.minimal LANDING_DIR DATA_DIR`; prints a JSON line with each layer's
start and end time."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

LINEAGE = ("_source_file", "_source_hash", "_source_row", "_ingested_at")

SILVER_SQL = """
SELECT order_id, TRY_CAST(line_no AS BIGINT) AS line_no,
       TRY_CAST(order_ts AS TIMESTAMP) AS order_ts,
       CAST(TRY_CAST(order_ts AS TIMESTAMP) AS DATE) AS order_date,
       customer_id, product_id, region,
       TRY_CAST(price AS DECIMAL(18, 2)) AS price, TRY_CAST(qty AS BIGINT) AS qty,
       TRY_CAST(tax AS DECIMAL(18, 2)) AS tax, currency,
       _source_file, _source_hash, _source_row, _ingested_at
FROM bronze
"""


def _with_lineage(path: Path, names: list[str], ingested_us: int) -> Iterator[pa.RecordBatch]:
    """The file's lines as strings, with the lineage columns lakeconsole's bronze adds."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=4 << 20),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )
    row = 1
    for batch in reader:
        n = batch.num_rows
        zeros = pa.array(np.zeros(n, dtype=np.int32))
        yield pa.RecordBatch.from_arrays(
            [
                *batch.columns,
                pa.array([path.name]).take(zeros),
                pa.array([digest]).take(zeros),
                pa.array(np.arange(row, row + n)),
                pa.array(np.full(n, ingested_us)).cast(pa.timestamp("us", tz="UTC")),
            ],
            names=[*names, *LINEAGE],
        )
        row += n


def bronze(landing: Path, table: Path) -> int:
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    rows = 0
    for k, path in enumerate(sorted(landing.glob("*.csv"))):
        with path.open(encoding="utf-8") as fh:
            names = next(csv.reader(fh))
        schema = pa.schema(
            [pa.field(n, pa.string()) for n in names]
            + [
                pa.field("_source_file", pa.string()),
                pa.field("_source_hash", pa.string()),
                pa.field("_source_row", pa.int64()),
                pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
            ]
        )
        batches = _with_lineage(path, names, time.time_ns() // 1000 + k)
        write_deltalake(
            str(table), pa.RecordBatchReader.from_batches(schema, batches), mode="append"
        )
        rows += DeltaTable(str(table)).history(1)[0]["operationMetrics"]["num_added_rows"]
    return rows


def silver(bronze_table: Path, table: Path) -> None:
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder, write_deltalake

    result = QueryBuilder().register("bronze", DeltaTable(str(bronze_table))).execute(SILVER_SQL)
    reader = pa.RecordBatchReader.from_stream(result)
    write_deltalake(str(table), reader, mode="append", partition_by=["order_date"])


def gold(silver_table: Path, table: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable, write_deltalake

    columns = ["order_date", "region", "product_id", "currency", "order_id", "price", "qty", "tax"]
    rows = DeltaTable(str(silver_table)).to_pyarrow_table(columns=columns)
    amount = pc.multiply(rows.column("price"), pc.cast(rows.column("qty"), pa.decimal128(19, 0)))
    grouped = (
        rows.append_column("amount", amount)
        .group_by(["order_date", "region", "product_id", "currency"])
        .aggregate(
            [("amount", "sum"), ("tax", "sum"), ("order_id", "count_distinct"), ("qty", "count")]
        )
    )
    write_deltalake(str(table), grouped, mode="overwrite", partition_by=["order_date"])


def main() -> None:
    landing, data = Path(sys.argv[1]), Path(sys.argv[2])
    layers: dict[str, list[float]] = {}
    t = time.time()
    rows = bronze(landing, data / "bronze")
    layers["bronze"] = [t, time.time()]
    t = time.time()
    silver(data / "bronze", data / "silver")
    layers["silver"] = [t, time.time()]
    t = time.time()
    gold(data / "silver", data / "gold")
    layers["gold"] = [t, time.time()]
    print(json.dumps({"rows": rows, "layers": layers}))


if __name__ == "__main__":
    main()
