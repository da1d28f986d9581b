"""Deterministic sample landing data: CSV files of sales order lines, with realistic dirt.

About 1% of the lines of each file are re-sent in the next file with a changed qty, and about
0.5% of all lines are malformed, spread over four kinds: price not a number, missing order_id,
negative qty, unparseable timestamp. Vectorised (numpy + Arrow), so 10M rows take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from lakeconsole.pipelines.sales import LANDING_COLUMNS

REGIONS = ("north", "south", "east", "west", "central")
TAX_RATE = {"north": 0.20, "south": 0.10, "east": 0.19, "west": 0.21, "central": 0.07}
PRODUCTS = 200
CUSTOMERS = 5000
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 90
RESEND_SHARE = 0.01
MALFORMED_SHARE = 0.005
MALFORMED_KINDS = (
    "price_not_a_number",
    "missing_order_id",
    "negative_qty",
    "unparseable_timestamp",
)


@dataclass(frozen=True)
class DemoFile:
    path: Path
    rows: int
    resent: int
    malformed: int


def write_demo(
    folder: Path,
    rows: int = 20_000,
    files: int = 4,
    seed: int = 7,
    prefix: str = "orders",
    after: int = 0,
) -> list[DemoFile]:
    """Write `files` CSV files with `rows` order lines in all (plus the re-sent ones) into `folder`.

    `after` continues an earlier demo of that many lines (same seed): new order ids and later
    dates at the same pace, as the next day's files would be. The same arguments always give
    byte-identical files."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = after + np.linspace(0, rows, files + 1).astype(np.int64)
    pace = after or rows  # lines per SPAN_DAYS
    written: list[DemoFile] = []
    previous: pa.Table | None = None
    for k in range(files):
        rng = np.random.default_rng([seed, k, after] if after else [seed, k])
        lines = _order_lines(rng, seed, int(bounds[k]), int(bounds[k + 1]), pace)
        lines, malformed = _malform(rng, lines)
        resent = _resend(rng, previous) if previous is not None else None
        previous = lines
        table = pa.concat_tables([lines, resent]) if resent is not None else lines
        path = folder / f"{prefix}_{k + 1:04d}.csv"
        tmp = path.with_name(
            f".{path.name}.tmp"
        )  # a half-written file never looks like landing data
        pcsv.write_csv(table, tmp, write_options=pcsv.WriteOptions(quoting_style="needed"))
        tmp.replace(path)
        written.append(
            DemoFile(path, table.num_rows, 0 if resent is None else resent.num_rows, malformed)
        )
    return written


def _order_lines(rng: np.random.Generator, seed: int, lo: int, hi: int, total: int) -> pa.Table:
    """Lines lo..hi of the whole data set; orders have 1 to 4 lines and advance in time."""
    n = hi - lo
    index = np.arange(lo, hi, dtype=np.int64)
    # Line i belongs to order i*2//5 (orders of 2 or 3 lines), from the global index so that an
    # order cut by a file boundary keeps its numbering; order attributes hash the order number.
    order = index * 2 // 5
    line_no = index - (5 * order + 1) // 2 + 1
    region_idx = _mix(order, seed, 1) % len(REGIONS)
    customer = _mix(order, seed, 2) % CUSTOMERS + 1
    seconds = (order * SPAN_DAYS * 86_400) // max(total * 2 // 5, 1) + _mix(order, seed, 3) % 600
    product = rng.integers(1, PRODUCTS + 1, n)
    price_cents = (product * 997 % 9_900) + 100
    qty = rng.integers(1, 11, n)
    regions = np.array(REGIONS)[region_idx]
    rates = np.vectorize(TAX_RATE.get)(np.array(REGIONS))[region_idx]
    tax_cents = np.rint(price_cents * qty * rates).astype(np.int64)
    ts = pa.array(np.datetime64(START.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]"))
    return pa.table(
        {
            "order_id": _ids("O", order + 1, 9),
            "line_no": pc.cast(pa.array(line_no), pa.string()),
            "order_ts": _iso(ts),
            "customer_id": _ids("C", customer, 5),
            "product_id": _ids("P", product, 4),
            "region": pa.array(regions, pa.string()),
            "price": _money(price_cents),
            "qty": pc.cast(pa.array(qty), pa.string()),
            "tax": _money(tax_cents),
            "currency": pa.array(np.full(n, "EUR"), pa.string()),
        }
    ).select(list(LANDING_COLUMNS))


def _mix(values: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A cheap deterministic hash of integers (splitmix-style), non-negative."""
    x = (values.astype(np.uint64) + np.uint64(seed * 1_000_003 + salt)) * np.uint64(
        0x9E3779B97F4A7C15
    )
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return (x >> np.uint64(1)).astype(np.int64)


def _iso(ts: pa.Array) -> pa.Array:
    """ISO 8601 UTC text; a cast is ten times faster than pc.strftime."""
    return pc.binary_join_element_wise(
        pc.replace_substring(pc.cast(ts, pa.string()), " ", "T"), "Z", ""
    )


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _money(cents: np.ndarray) -> pa.Array:
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _malform(rng: np.random.Generator, lines: pa.Table) -> tuple[pa.Table, int]:
    """Spoil about MALFORMED_SHARE of the lines, the four kinds in turn."""
    picked = np.flatnonzero(rng.random(lines.num_rows) < MALFORMED_SHARE)
    spoil = (("price", "n/a"), ("order_id", ""), ("qty", "-3"), ("order_ts", "2024-02-30 25:61"))
    for kind_index, (column, bad) in enumerate(spoil):
        mask = np.zeros(lines.num_rows, dtype=bool)
        mask[picked[kind_index :: len(spoil)]] = True
        spoiled = pc.if_else(pa.array(mask), pa.scalar(bad), lines.column(column))
        lines = lines.set_column(lines.schema.get_field_index(column), column, spoiled)
    return lines, len(picked)


def _resend(rng: np.random.Generator, previous: pa.Table) -> pa.Table | None:
    """About RESEND_SHARE of the previous file's well-formed lines again, with another qty."""
    checks = [
        pc.match_substring_regex(previous.column("qty"), r"^[0-9]+$"),
        pc.match_substring_regex(previous.column("price"), r"^[0-9.]+$"),
        pc.match_substring_regex(previous.column("order_ts"), "Z$"),
        pc.not_equal(previous.column("order_id"), ""),
    ]
    wellformed = checks[0]
    for check in checks[1:]:
        wellformed = pc.and_(wellformed, check)
    chosen = np.flatnonzero(
        (rng.random(previous.num_rows) < RESEND_SHARE) & wellformed.to_numpy(zero_copy_only=False)
    )
    if len(chosen) == 0:
        return None
    again = previous.take(pa.array(chosen))
    qty = np.asarray(pc.cast(again.column("qty"), pa.int64())) % 10 + 1
    cents = np.rint(np.asarray(pc.cast(again.column("price"), pa.float64())) * 100).astype(np.int64)
    rates = np.array([TAX_RATE[r] for r in again.column("region").to_pylist()])
    tax = np.rint(cents * qty * rates).astype(np.int64)
    again = again.set_column(
        again.schema.get_field_index("qty"), "qty", pc.cast(pa.array(qty), pa.string())
    )
    return again.set_column(again.schema.get_field_index("tax"), "tax", _money(tax))
