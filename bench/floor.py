"""The floor: every landing file read with pyarrow's CSV reader and written once as one parquet
file. No types, no rules, no Delta log: the least any pipeline has to do with these bytes.

Run as `python -m bench.floor LANDING_DIR OUT_FILE`; prints a JSON line with its figures."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path


def write_floor(landing: Path, out: Path) -> int:
    """Stream every CSV in `landing` (name order) into the single parquet file `out`."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rows = 0
    writer: pq.ParquetWriter | None = None
    for path in sorted(landing.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            names = next(csv.reader(fh))
        # Every column as text, as the files hold it (the same schema across files).
        schema = pa.schema([pa.field(n, pa.string()) for n in names])
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=4 << 20),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
        if writer is None:
            writer = pq.ParquetWriter(out, schema)
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    if writer is not None:
        writer.close()
    return rows


def main() -> None:
    t0 = time.time()
    rows = write_floor(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({"rows": rows, "layers": {"floor": [t0, time.time()]}}))


if __name__ == "__main__":
    main()
