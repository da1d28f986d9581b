"""Bronze lines for the golden test of silver's cleaning: the sales demo (with its malformed
lines) plus hand-written awkward values, as bronze holds them (text plus lineage)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

# Values the demo does not write: spaces, '+', lowercase codes, impossible dates, zones, limits.
AWKWARD = [
    [" A1 ", "+2", "2024-03-01 10:00:00", "C1", "P1", "north", "+10.5", " 3 ", "0", " eur "],
    ["A2", "0", "2024-03-01T10:00:00Z", "C1", "P1", "north", "1", "1", "1", "EUR"],
    ["A3", "1", "2024-02-30T10:00:00Z", "C1", "P1", "north", "1", "1", "1", "EUR"],
    ["A4", "1", "2024-03-01T10:00:00.25+01:30", "C1", "P1", "north", "1", "1", "1", "usd"],
    ["A5", "1", "2024-03-01T10:00:00Z", "", "P1", "north", "1", "1", "1", "EUR"],
    ["A6", "1", "2024-03-01T10:00:00Z", "C1", "P1", "north", "1.234", "1", "1", "EUR"],
    ["A7", "1", "2024-03-01T10:00:00Z", "C1", "P1", "north", "-0.01", "1", "1", "EUR"],
    ["A8", "1", "2024-03-01T10:00:00Z", "C1", "P1", "north", "1", "1.0", "1", "EUR"],
    ["A9", "1", "2024-03-01T10:00:00Z", "C1", "P1", "north", "1", "0", "x", "EUR"],
    ["B1", "1", "2024-03-01T10:00:00Z", "C1", "P1", "north", "1", "1", "-1", "EURO"],
    ["B2", "1234567890123456789", "2024-03-01T10:00:00Z", "C1", "P1", "", "1", "1", "1", "EUR"],
    ["", "x", "nonsense", "", "", "", "", "", "", ""],
    ["B3", "1", "2024-03-01T10:00:00Z", "C1", "P1", "n", "12345678901234567", "1", "1", "EUR"],
]


def bronze_lines(folder: Path, columns: tuple[str, ...]) -> pa.Table:
    from lakeconsole.pipelines.sales.demo import write_demo

    write_demo(folder, rows=3000, files=3)
    awkward = folder / "orders_awkward.csv"
    awkward.write_text("\n".join(",".join(r) for r in [list(columns), *AWKWARD]) + "\n")
    tables = []
    for k, path in enumerate(sorted(folder.glob("*.csv"))):
        options = pcsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False
        )
        t = pcsv.read_csv(path, convert_options=options)
        n = t.num_rows
        lineage = {
            "_source_file": pa.array([path.name] * n),
            "_source_hash": pa.array([f"hash{k}"] * n),
            "_source_row": pa.array(range(1, n + 1), pa.int64()),
            "_ingested_at": pa.array([1_700_000_000_000_000 + k] * n, pa.timestamp("us", tz="UTC")),
        }
        for name, values in lineage.items():
            t = t.append_column(name, values)
        tables.append(t)
    return pa.concat_tables(tables)


def digest(table: pa.Table) -> str:
    """A fingerprint of a table's schema and every value, in order."""
    text = json.dumps([str(table.schema), table.to_pylist()], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
