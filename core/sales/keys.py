"""Where silver already holds the keys of a batch, so each line takes the right write.

One look-up per batch (silver's rows in the batch's order_id range: the files written sorted by
key are skipped by their statistics) sorts the batch's lines into
- inserts: keys silver does not hold (appended: no file is rewritten, nothing is joined);
- updates: keys held on the same order date (an update MERGE replaces them if the line is newer);
- movers: keys held on another date by an older row: a line re-sent with another order_ts.
  Silver is partitioned by order date and a MERGE matches within the batch's dates, so the old
  row is deleted first (DELETE-only MERGE on the old dates) and the line inserted on its new date;
- stale: keys held on another date by a newer row (only a replay of old bronze lines does that):
  the line is superseded and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.sales.tables import query, sql_list

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable

KEY = ["order_id", "line_no"]


@dataclass
class Plan:
    inserts: pa.Table  # new keys, and movers (inserted on their new date after the delete)
    updates: pa.Table
    movers: pa.Table
    old_days: list[str]  # dates holding the rows movers replace
    stale: int


def plan_batch(silver: DeltaTable, live: pa.Table) -> Plan:
    """Sort the batch's lines by what silver holds for their keys (batch order is kept)."""
    low, high = (sql_list([v]) for v in pc.min_max(live.column("order_id")).values())
    held = query(
        silver,
        "SELECT order_id, line_no, order_date AS held_date, _ingested_at AS held_at, "
        f"_source_row AS held_row FROM silver WHERE order_id >= {low[1:-1]} "
        f"AND order_id <= {high[1:-1]}",
        "silver",
    )
    if held.num_rows == 0:
        return Plan(live, live.schema.empty_table(), live.schema.empty_table(), [], 0)
    keys = live.select([*KEY, "order_date", "_ingested_at", "_source_row"]).append_column(
        "i", pa.array(np.arange(live.num_rows, dtype=np.int64))
    )
    joined = keys.join(held, keys=KEY, join_type="left outer")
    is_new = pc.is_null(joined.column("held_date"))
    same_day = pc.fill_null(
        pc.equal(joined.column("order_date"), joined.column("held_date")), False
    )
    newer = pc.or_(
        pc.greater(joined.column("_ingested_at"), joined.column("held_at")),
        pc.and_(
            pc.equal(joined.column("_ingested_at"), joined.column("held_at")),
            pc.greater(joined.column("_source_row"), joined.column("held_row")),
        ),
    )
    moved = pc.and_(pc.invert(is_new), pc.invert(same_day))
    movers = joined.filter(pc.and_(moved, pc.fill_null(newer, False)))
    stale = joined.filter(pc.and_(moved, pc.invert(pc.fill_null(newer, False)))).num_rows

    def lines(mask: pa.ChunkedArray | pa.Array) -> pa.Table:
        rows = np.sort(joined.filter(mask).column("i").to_numpy())
        return live.take(pa.array(rows))

    return Plan(
        inserts=lines(pc.or_(is_new, pc.and_(moved, pc.fill_null(newer, False)))),
        updates=lines(same_day),
        movers=lines(pc.and_(moved, pc.fill_null(newer, False))),
        old_days=sorted({d.isoformat() for d in movers.column("held_date").to_pylist()}),
        stale=stale,
    )


def delete_moved(
    silver: DeltaTable, plan: Plan, newer: str, commit_properties: CommitProperties
) -> int:
    """Delete the rows on the old dates that the movers replace; returns how many."""
    metrics = (
        silver.merge(
            plan.movers,
            f"t.order_date IN {sql_list(plan.old_days)} AND t.order_id = s.order_id "
            "AND t.line_no = s.line_no AND t.order_date <> s.order_date",
            source_alias="s",
            target_alias="t",
            commit_properties=commit_properties,
        )
        .when_matched_delete(predicate=newer)
        .execute()
    )
    return int(metrics.get("num_target_rows_deleted", 0))
