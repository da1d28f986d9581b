"""The floor: every landing file read with pyarrow and written once as one parquet file. No
types, no rules, no Delta log: the least any pipeline has to do with these bytes.

CSV files are read with pyarrow.csv, every column as text. JSON-lines files are read with
pyarrow.json.read_json; the demo's dirty files (a line cut short) make it refuse the whole
file, so the floor then reads the files line-faithfully the cheapest way found: pyarrow.csv
with no delimiter, quoting or escaping, each non-blank line one binary value (no JSON parsed),
and says so in its `method`. Whether read_json can read them is asked first, in a process of
its own (`probe`), so the failed attempt is not in the floor's time.

Run as `python -m bench.floor LANDING_DIR OUT_FILE [GLOB [json|lines]]` (default `*.csv`), or
`python -m bench.floor probe LANDING_DIR GLOB`; each prints a JSON line with its figures."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

CSV_METHOD = "pyarrow.csv, every column as text"
JSON_METHOD = "pyarrow.json.read_json"
LINES_METHOD = (
    "pyarrow.json.read_json refused the dirty files ({why}); read line-faithfully instead: "
    "pyarrow.csv with no delimiter or quoting, each line one binary value, no JSON parsed"
)
BLOCK = 4 << 20


def write_floor(landing: Path, out: Path, pattern: str = "*.csv", json_as: str = "json") -> int:
    """Stream every file of `landing` matching `pattern` (name order) into the single parquet
    file `out`; JSON lines parsed by read_json (`json_as="json"`) or kept as lines ("lines")."""
    import pyarrow.parquet as pq

    rows = 0
    writer: pq.ParquetWriter | None = None
    for path in sorted(landing.glob(pattern)):
        if path.suffix.lower() == ".csv":
            batches = _csv(path)
        elif json_as == "lines":
            batches = _lines(path)
        else:
            batches = _json(path)
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(out, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
    if writer is not None:
        writer.close()
    return rows


def probe(landing: Path, pattern: str) -> dict[str, str]:
    """How the floor reads `pattern`'s files: read_json when it reads every one, else lines
    (with read_json's reason)."""
    import pyarrow as pa

    if not pattern.lower().endswith((".jsonl", ".ndjson", ".json")):
        return {"json_as": "json", "method": CSV_METHOD}
    for path in sorted(landing.glob(pattern)):
        try:
            for _ in _json(path):
                pass
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            why = str(exc).split(". in row")[0].removeprefix("JSON parse error: ")
            return {"json_as": "lines", "method": LINES_METHOD.format(why=f"{path.name}: {why}")}
    return {"json_as": "json", "method": JSON_METHOD}


def _csv(path: Path) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open(encoding="utf-8") as fh:
        names = next(csv.reader(fh))
    # Every column as text, as the files hold it (the same schema across files).
    yield from pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=BLOCK),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )


def _json(path: Path) -> Iterator[pa.RecordBatch]:
    import pyarrow.json as pj

    yield from pj.read_json(path, read_options=pj.ReadOptions(block_size=BLOCK)).to_batches()


def _lines(path: Path) -> Iterator[pa.RecordBatch]:
    """The file's non-blank lines, one binary value each: bytes kept exactly (a cut line may
    not even be UTF-8). The unit separator \\x1f never occurs in the demo's lines."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    yield from pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=BLOCK, column_names=["line"]),
        parse_options=pcsv.ParseOptions(
            delimiter="\x1f", quote_char=False, double_quote=False, escape_char=False
        ),
        convert_options=pcsv.ConvertOptions(column_types={"line": pa.binary()}),
    )


def main() -> None:
    if sys.argv[1] == "probe":
        print(json.dumps(probe(Path(sys.argv[2]), sys.argv[3])))
        return
    t0 = time.time()
    pattern = sys.argv[3] if len(sys.argv) > 3 else "*.csv"
    json_as = sys.argv[4] if len(sys.argv) > 4 else "json"
    rows = write_floor(Path(sys.argv[1]), Path(sys.argv[2]), pattern, json_as)
    print(json.dumps({"rows": rows, "layers": {"floor": [t0, time.time()]}}))


if __name__ == "__main__":
    main()
