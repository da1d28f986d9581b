"""Where silver already holds the keys of a batch, so each line takes the right write.

One look-up per batch (silver's rows in the batch's order_id range: files written nearly sorted by
key are skipped by their statistics) sorts the batch's lines into
- inserts: keys silver does not hold (an insert-only MERGE: no file is rewritten);
- updates: keys held on the same order date by an older line (an update MERGE replaces them);
- movers: keys held on another date by an older line: a line re-sent with another order_ts.
  Silver is partitioned by order date and a MERGE matches within the batch's dates, so the old
  row is deleted first (DELETE-only MERGE on the old dates) and the line inserted on its new date;
- superseded: keys held by a newer line (silver works through a run's batches newest first, so
  the older copy of a line re-sent within the run lands here and is never written);
- replayed: the very line silver holds (a batch done before a crash, read again): nothing to do.
A line replaces a held row only when it is newer, so the order batches are applied in does not
change the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.blocks.tables import query, sql_list

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable, WriterProperties

KEY = ["order_id", "line_no"]


@dataclass
class Plan:
    inserts: pa.Table  # new keys, and movers (inserted on their new date after the delete)
    updates: pa.Table
    movers: pa.Table
    old_days: list[str]  # dates holding the rows movers replace
    stale: int  # superseded: silver holds a newer line of the key
    replayed: int  # silver holds this very line


def plan_batch(silver: DeltaTable, live: pa.Table) -> Plan:
    """Sort the batch's lines by what silver holds for their keys (batch order is kept)."""
    low, high = (sql_list([v]) for v in pc.min_max(live.column("order_id")).values())
    held = query(
        silver,
        "SELECT order_id, line_no, order_date AS held_date, _ingested_at AS held_at, "
        "_source_row AS held_row, _source_file AS held_file "
        f"FROM silver WHERE order_id >= {low[1:-1]} "
        f"AND order_id <= {high[1:-1]}",
        "silver",
    )
    # Only lines whose order_id silver holds need the join; usually a few re-sent ones.
    maybe_held = pc.is_in(live.column("order_id"), value_set=pc.unique(held.column("order_id")))
    if held.num_rows == 0 or not pc.any(maybe_held).as_py():
        return Plan(live, live.schema.empty_table(), live.schema.empty_table(), [], 0, 0)
    position = pa.array(np.arange(live.num_rows, dtype=np.int64))
    keys = (
        live.select([*KEY, "order_date", "_ingested_at", "_source_row", "_source_file"])
        .append_column("i", position)
        .filter(maybe_held)
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
    newer = pc.fill_null(newer, False)
    same_line = pc.fill_null(
        pc.and_(
            pc.and_(
                pc.equal(joined.column("_ingested_at"), joined.column("held_at")),
                pc.equal(joined.column("_source_row"), joined.column("held_row")),
            ),
            pc.equal(joined.column("_source_file"), joined.column("held_file")),
        ),
        False,
    )
    is_held = pc.invert(is_new)
    moved = pc.and_(is_held, pc.invert(same_day))
    movers = joined.filter(pc.and_(moved, newer))

    def lines(mask: pa.ChunkedArray | pa.Array) -> pa.Table:
        rows = np.sort(joined.filter(mask).column("i").to_numpy())
        return live.take(pa.array(rows))

    # Inserts: the lines not held at all, and the held ones found new or moving (batch order).
    insert_rows = pc.is_in(
        position,
        value_set=pc.drop_null(joined.filter(pc.or_(is_new, pc.and_(moved, newer))).column("i")),
    )
    return Plan(
        inserts=live.filter(pc.or_(pc.invert(maybe_held), insert_rows)),
        updates=lines(pc.and_(same_day, newer)),
        movers=lines(pc.and_(moved, newer)),
        old_days=sorted({d.isoformat() for d in movers.column("held_date").to_pylist()}),
        stale=joined.filter(pc.and_(is_held, pc.invert(pc.or_(newer, same_line)))).num_rows,
        replayed=joined.filter(same_line).num_rows,
    )


def delete_moved(
    silver: DeltaTable,
    plan: Plan,
    newer: str,
    commit_properties: CommitProperties,
    writer_properties: WriterProperties,
) -> int:
    """Delete the rows on the old dates that the movers replace; returns how many."""
    metrics = (
        silver.merge(
            plan.movers,
            f"t.order_date IN {sql_list(plan.old_days)} AND t.order_id = s.order_id "
            "AND t.line_no = s.line_no AND t.order_date <> s.order_date",
            source_alias="s",
            target_alias="t",
            writer_properties=writer_properties,
            commit_properties=commit_properties,
        )
        .when_matched_delete(predicate=newer)
        .execute()
    )
    return int(metrics.get("num_target_rows_deleted", 0))
