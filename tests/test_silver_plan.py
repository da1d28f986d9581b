"""plan_batch against a real Delta table: only the lines whose key silver may hold are sorted
out, the rest of the batch goes to the inserts as it is, in batch order."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.blocks.keys import plan_batch

UTC = pa.timestamp("us", tz="UTC")
KEY = ("order", "line")


def lines(rows: list[tuple[str, int, str, int, int]]) -> pa.Table:
    """(order, line, day, ingested_at µs, source row) → a silver-shaped batch."""
    order, line, day, at, row = (list(c) for c in zip(*rows, strict=True))
    return pa.table(
        {
            "order": pa.array(order, pa.string()),
            "line": pa.array(line, pa.int64()),
            "day": pa.array(day, pa.string()),
            "_ingested_at": pa.array(at, pa.int64()).cast(UTC),
            "_source_row": pa.array(row, pa.int64()),
            "_source_file": pa.array(["f.csv"] * len(rows), pa.string()),
        }
    )


def silver_holding(tmp_path: Path, rows: list[tuple[str, int, str, int, int]]) -> DeltaTable:
    write_deltalake(str(tmp_path / "silver"), lines(rows), partition_by=["day"])
    return DeltaTable(str(tmp_path / "silver"))


def keys_of(table: pa.Table) -> list[tuple[str, int]]:
    return list(
        zip(table.column("order").to_pylist(), table.column("line").to_pylist(), strict=True)
    )


def test_only_held_keys_are_sorted_out_and_inserts_keep_batch_order(tmp_path: Path) -> None:
    silver = silver_holding(
        tmp_path,
        [
            ("B", 1, "d1", 10, 1),  # the batch's line is newer: an update
            ("C", 1, "d1", 50, 1),  # the batch's line is older: superseded
            ("D", 1, "d1", 20, 4),  # this very line: replayed
            ("E", 1, "d0", 10, 1),  # the batch's newer line is on another day: a mover
        ],
    )
    batch = lines(
        [
            ("A", 1, "d1", 20, 1),  # new
            ("B", 1, "d1", 20, 2),
            ("B", 2, "d1", 20, 3),  # same order as a held key, another line: new
            ("C", 1, "d1", 20, 5),
            ("D", 1, "d1", 20, 4),
            ("E", 1, "d1", 20, 6),
            ("F", 1, "d1", 20, 7),  # new
        ]
    )
    plan = plan_batch(silver, batch, KEY, ("day",))
    assert keys_of(plan.inserts) == [("A", 1), ("B", 2), ("E", 1), ("F", 1)]
    assert plan.inserts.schema == batch.schema
    assert keys_of(plan.updates) == [("B", 1)]
    assert keys_of(plan.movers) == [("E", 1)]
    assert plan.old_partitions == {"day": ["d0"]}
    assert (plan.stale, plan.replayed) == (1, 1)


def test_a_batch_whose_held_orders_are_all_new_lines_is_inserted_whole(tmp_path: Path) -> None:
    silver = silver_holding(tmp_path, [("B", 1, "d1", 10, 1)])
    batch = lines([("A", 1, "d1", 20, 1), ("B", 2, "d1", 20, 2), ("C", 1, "d1", 20, 3)])
    plan = plan_batch(silver, batch, KEY, ("day",))
    assert plan.inserts.equals(batch)
    assert plan.updates.num_rows == plan.movers.num_rows == plan.stale == plan.replayed == 0
