"""Where a silver table already holds the keys of a batch, so each line takes the right write.

One look-up per batch (silver's rows in the batch's range of the first key column: files written
nearly sorted by key are skipped by their statistics) sorts the batch's lines into
- inserts: keys silver does not hold (an insert-only MERGE: no file is rewritten);
- updates: keys held in the same partition by an older line (an update MERGE replaces them);
- movers: keys held in another partition by an older line (a line re-sent with another value of
  a partition column that is not part of the key). A MERGE matches within the batch's
  partitions, so the old row is deleted first (DELETE-only MERGE on the old partitions) and the
  line inserted in its new one. A table partitioned only by key columns has none;
- superseded: keys held by a newer line (silver works through a run's batches newest first, so
  the older copy of a line re-sent within the run lands here and is never written);
- replayed: the very line silver holds (a batch done before a crash, read again): nothing to do.
A line replaces a held row only when it is newer, so the order batches are applied in does not
change the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.arrow import FALSE, empty_table, from_numpy, to_numpy
from lakeconsole.core.blocks.tables import query, sql_list

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable, WriterProperties


@dataclass
class Plan:
    inserts: pa.Table  # new keys, and movers (inserted in their new partition after the delete)
    updates: pa.Table
    movers: pa.Table
    # per partition column not in the key: its values holding the rows movers replace
    old_partitions: dict[str, list[object]] = field(default_factory=dict)
    stale: int = 0  # superseded: silver holds a newer line of the key
    replayed: int = 0  # silver holds this very line


def literal(value: object) -> str:
    """A value as a SQL literal for a comparison with its column."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return sql_list([value.isoformat() if hasattr(value, "isoformat") else value])[1:-1]


def in_list(values: Sequence[object]) -> str:
    """A SQL IN-list of literals: ('2024-03-01', '2024-03-02') or (1, 2)."""
    return "(" + ", ".join(literal(v) for v in values) + ")"


def as_text(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def key_range(live: pa.Table, first_key: str) -> tuple[str, str]:
    low, high = (literal(v.as_py()) for v in pc.min_max(live.column(first_key)).values())
    return low, high


def moving(key: Sequence[str], partition_by: Sequence[str]) -> list[str]:
    """The partition columns a key can move between (those that are not part of the key)."""
    return [p for p in partition_by if p not in key]


def plan_batch(
    silver: DeltaTable, live: pa.Table, key: Sequence[str], partition_by: Sequence[str]
) -> Plan:
    """Sort the batch's lines by what silver holds for their keys (batch order is kept)."""
    key, moves = list(key), moving(key, partition_by)
    low, high = key_range(live, key[0])
    held_parts = "".join(f"{p} AS held_{p}, " for p in moves)
    held = query(
        silver,
        f"SELECT {', '.join(key)}, {held_parts}_ingested_at AS held_at, "
        "_source_row AS held_row, _source_file AS held_file "
        f"FROM silver WHERE {key[0]} >= {low} AND {key[0]} <= {high}",
        "silver",
    )
    empty = empty_table(live.schema)
    if held.num_rows == 0:
        return Plan(live, empty, empty)
    # Only lines whose first key column silver holds need the join; usually a few re-sent ones.
    maybe_held = pc.is_in(live.column(key[0]), value_set=pc.unique(held.column(key[0])))
    if not pc.any(maybe_held).as_py():
        return Plan(live, empty, empty)
    # The candidates are split off by position and only they are joined and sorted out; the
    # rest of the batch stays untouched (measured: a whole-batch rebuild cost 45 ms a 250k batch).
    at_batch = np.flatnonzero(to_numpy(maybe_held))
    candidates = live.take(from_numpy(at_batch))
    keys = candidates.select([*key, *moves, "_ingested_at", "_source_row", "_source_file"])
    keys = keys.append_column("i", from_numpy(np.arange(len(at_batch), dtype=np.int64)))
    joined = keys.join(held, keys=key, join_type="left outer")
    is_new = pc.is_null(joined.column("held_at"))
    same_place: pa.ChunkedArray | pa.Array = pc.invert(is_new)
    for p in moves:
        same = pc.fill_null(pc.equal(joined.column(p), joined.column(f"held_{p}")), FALSE)
        same_place = pc.and_(same_place, same)
    at, held_at = joined.column("_ingested_at"), joined.column("held_at")
    row, held_row = joined.column("_source_row"), joined.column("held_row")
    newer = pc.fill_null(
        pc.or_(pc.greater(at, held_at), pc.and_(pc.equal(at, held_at), pc.greater(row, held_row))),
        FALSE,
    )
    same_line = pc.fill_null(
        pc.and_(
            pc.and_(pc.equal(at, held_at), pc.equal(row, held_row)),
            pc.equal(joined.column("_source_file"), joined.column("held_file")),
        ),
        FALSE,
    )
    is_held = pc.invert(is_new)
    moved = pc.and_(is_held, pc.invert(same_place))
    movers = joined.filter(pc.and_(moved, newer))

    def chosen(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """The candidates (their positions among the candidates, in batch order) under `mask`."""
        return np.sort(to_numpy(joined.filter(mask).column("i")))

    def lines(mask: pa.ChunkedArray | pa.Array) -> pa.Table:
        return candidates.take(from_numpy(chosen(mask)))

    # Inserts: the lines not held at all, and the held ones found new or moving (batch order).
    inserted = chosen(pc.or_(is_new, pc.and_(moved, newer)))
    if len(np.unique(inserted)) == len(at_batch):  # (a key held twice would repeat a line)
        inserts = live  # every candidate is new (e.g. another line of a held order): no copy
    else:
        keep = ~to_numpy(maybe_held)
        keep[at_batch[inserted]] = True
        inserts = live.filter(from_numpy(keep))
    old = {
        p: sorted({v for v in movers.column(f"held_{p}").to_pylist() if v is not None})
        for p in moves
    }
    return Plan(
        inserts=inserts,
        updates=lines(pc.and_(same_place, newer)),
        movers=lines(pc.and_(moved, newer)),
        old_partitions={p: v for p, v in old.items() if v},
        stale=joined.filter(pc.and_(is_held, pc.invert(pc.or_(newer, same_line)))).num_rows,
        replayed=joined.filter(same_line).num_rows,
    )


def delete_moved(
    silver: DeltaTable,
    plan: Plan,
    key: Sequence[str],
    newer: str,
    commit_properties: CommitProperties,
    writer_properties: WriterProperties,
) -> int:
    """Delete the rows in the old partitions that the movers replace; returns how many."""
    places = [f"t.{p} IN {in_list(values)}" for p, values in plan.old_partitions.items()]
    same_key = [f"t.{k} = s.{k}" for k in key]
    elsewhere = " OR ".join(f"t.{p} <> s.{p}" for p in plan.old_partitions)
    metrics = (
        silver.merge(
            plan.movers,
            " AND ".join([*places, *same_key, f"({elsewhere})" if len(places) > 1 else elsewhere]),
            source_alias="s",
            target_alias="t",
            writer_properties=writer_properties,
            commit_properties=commit_properties,
        )
        .when_matched_delete(predicate=newer)
        .execute()
    )
    return int(metrics.get("num_target_rows_deleted", 0))
