"""Re-sent lines whose order date changed: silver is partitioned by order date and each MERGE
matches keys within the batch's days, so a key that moved to another day needs its old row
deleted, or it would be live twice.

Per batch, before the MERGEs: look up the batch's keys anywhere in silver (the order_id range
keeps the scan to the files that can hold them), then
- a batch line newer than the held row on another day: the held row is deleted (one DELETE-only
  MERGE over the old days; gold's pending set gets the old days first);
- a batch line older than (or the same as) the held row: the line is superseded, dropped from
  the batch (only a replay of old bronze lines can do that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from core.sales.tables import query, sql_list

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable

KEY = ["order_id", "line_no"]


@dataclass
class Moves:
    live: pa.Table  # the batch without lines superseded by a newer row on another day
    stale: int  # batch lines dropped that way
    old_days: list[str]  # days holding rows the batch replaces
    movers: pa.Table  # batch lines whose key is held, older, on another day


def find_moves(silver: DeltaTable, live: pa.Table) -> Moves:
    """Compare the batch's keys with silver's rows on other days."""
    low, high = (sql_list([v]) for v in pc.min_max(live.column("order_id")).values())
    held = query(
        silver,
        "SELECT order_id, line_no, order_date AS held_date, _ingested_at AS held_at, "
        f"_source_row AS held_row FROM silver WHERE order_id >= {low[1:-1]} "
        f"AND order_id <= {high[1:-1]}",
        "silver",
    )
    none = Moves(live, 0, [], live.schema.empty_table())
    if held.num_rows == 0:
        return none
    index = pa.array(range(live.num_rows), pa.int64())
    keys = live.select([*KEY, "order_date", "_ingested_at", "_source_row"]).append_column(
        "i", index
    )
    joined = keys.join(held, keys=KEY, join_type="inner")
    joined = joined.filter(pc.not_equal(joined.column("order_date"), joined.column("held_date")))
    if joined.num_rows == 0:
        return none
    newer = pc.or_(
        pc.greater(joined.column("_ingested_at"), joined.column("held_at")),
        pc.and_(
            pc.equal(joined.column("_ingested_at"), joined.column("held_at")),
            pc.greater(joined.column("_source_row"), joined.column("held_row")),
        ),
    )
    replacing, stale = joined.filter(newer), joined.filter(pc.invert(newer))
    keep = pc.invert(pc.is_in(index, stale.column("i")))
    old_days = sorted({d.isoformat() for d in replacing.column("held_date").to_pylist()})
    return Moves(live.filter(keep), stale.num_rows, old_days, live.take(replacing.column("i")))


def delete_moved(
    silver: DeltaTable, moves: Moves, newer: str, commit_properties: CommitProperties
) -> int:
    """Delete the rows on the old days that the batch's lines replace; returns how many."""
    metrics = (
        silver.merge(
            moves.movers,
            f"t.order_date IN {sql_list(moves.old_days)} AND t.order_id = s.order_id "
            "AND t.line_no = s.line_no AND t.order_date <> s.order_date",
            source_alias="s",
            target_alias="t",
            commit_properties=commit_properties,
        )
        .when_matched_delete(predicate=newer)
        .execute()
    )
    return int(metrics.get("num_target_rows_deleted", 0))
