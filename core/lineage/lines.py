"""The other landing lines of a gold row's silver keys: superseded in bronze, or quarantined.

Every landing line of a silver key ends in one place (OPS-02 accounting): the live silver row,
a superseded line (an older line of the key that a later one replaced), or quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lakeconsole.core.lineage.plan import SilverPlan
from lakeconsole.core.lineage.read import Condition, Tables, scan, schema_of

if TYPE_CHECKING:
    import pyarrow as pa

LINE = ("_source_file", "_source_row", "_ingested_at", "_source_hash")
LINE_ID = ["_source_hash", "_source_row"]


def lines_of_keys(
    tables: Tables,
    plan: SilverPlan,
    name: str | None,
    live: pa.Table,
    extra: Sequence[str] = (),
    ingested_by: Any = None,
) -> pa.Table:
    """The lines of `name` (bronze or quarantine: raw text) holding a key of `live`:
    read through the first raw key column (IN the keys, and within their range, so files and
    row groups whose statistics say otherwise are skipped), then matched on the whole key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakeconsole.core.blocks.casts import cast_text

    table = tables.get(name)
    if table is None:
        return pa.table({})
    first = plan.raw_key[0]
    texts = pc.unique(pc.cast(live.column(first), pa.string())).drop_null()
    low, high = pc.min_max(texts).values()
    names = schema_of(table).names
    conditions: list[Condition] = [(first, ">=", low), (first, "<=", high), (first, "in", texts)]
    if ingested_by is not None and "_ingested_at" in names:
        conditions.append(("_ingested_at", "<=", ingested_by))
    columns = [c for c in [*plan.raw_key, *LINE, *extra] if c in names]
    found = scan(table, conditions, columns)
    types = {c.name: c.type for c in plan.silver.spec.columns}
    typed = found
    for column in plan.raw_key:
        raw = pc.utf8_trim_whitespace(pc.cast(found.column(column), pa.string()))
        values = cast_text(raw, types[column]).cast(live.schema.field(column).type)
        typed = typed.set_column(typed.schema.get_field_index(column), column, values)
    keys = live.select(list(plan.raw_key)).group_by(list(plan.raw_key)).aggregate([])
    matched = typed.join(keys, keys=list(plan.raw_key), join_type="inner")
    return matched.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")])


def quarantined_of_row(tables: Tables, plan: SilverPlan, matched: Mapping[str, Any]) -> pa.Table:
    """Quarantined lines that would have counted in the gold row: typed and derived as silver
    does (core.blocks.cleaning), they hold its values in the columns the row is matched on.
    Their key need never have reached silver (a line rejected the first time it came)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakeconsole.core.arrow import FALSE, scalar
    from lakeconsole.core.blocks.casts import cast_text
    from lakeconsole.core.blocks.cleaning import _derive

    silver = plan.silver
    table = tables.get(plan.quarantine)
    if table is None or silver.from_ is None:
        return pa.table({})
    names = set(schema_of(table).names)
    source = [c for c in silver.from_.source.columns if c in names]
    extra = [c for c in (*LINE, "rule", "detail") if c in names]
    declared = {c.name: c for c in silver.declared}
    plain = _plain_text(matched, declared, {d.column for d in silver.derive}, names)
    # DataFusion keeps the lines whose text holds each value; exactly equal once trimmed below.
    holds: list[Condition] = [(c, "holds", scalar(v, pa.string())) for c, v in plain.items()]
    raw = scan(table, holds, [*source, *extra])
    if raw.num_rows == 0:
        return raw
    raw = _may_match(raw, plain)
    text = {c: pc.utf8_trim_whitespace(pc.cast(raw.column(c), pa.string())) for c in source}
    values: dict[str, Any] = {
        n: cast_text(text[n], c.type) for n, c in declared.items() if n in text
    }
    lineage = {c: raw.column(c) for c in LINE if c in names}
    try:
        for d in silver.derive:
            values[d.column] = _derive(d, values, text, declared[d.column], lineage)
    except Exception:  # a derive function that fails on rejected values: no line is tied
        return pa.table({})
    mask: Any = None
    for column, value in matched.items():
        if column not in values:
            return pa.table({})
        kind = values[column].type
        same = pc.fill_null(pc.equal(values[column], scalar(value, kind)), FALSE)
        mask = same if mask is None else pc.and_(mask, same)
    found = raw.filter(mask)
    columns = {k: values[k].filter(mask) for k in plan.raw_key}
    return pa.table({**columns, **{c: found.column(c) for c in extra}})


def _plain_text(
    matched: Mapping[str, Any], declared: Mapping[str, Any], derived: set[str], names: set[str]
) -> dict[str, str]:
    """The row's values in text columns silver neither casts nor derives: a quarantined line
    counts in the row only if such a column holds the value as it is, trimmed."""
    return {
        column: value
        for column, value in matched.items()
        if column in names
        and column not in derived
        and column in declared
        and declared[column].type == "string"
        and isinstance(value, str)
    }


def _may_match(raw: pa.Table, plain: Mapping[str, str]) -> pa.Table:
    """The lines whose plain text columns hold the row's values, trimmed. Only these are cast
    and derived (a derive works line by line, as silver's batches already need): casting all
    50,000 quarantined lines of a 10M lake took 0.1 s of a trace."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakeconsole.core.arrow import FALSE, scalar

    mask: Any = None
    for column, value in plain.items():
        text = pc.utf8_trim_whitespace(pc.cast(raw.column(column), pa.string()))
        same = pc.fill_null(pc.equal(text, scalar(value, pa.string())), FALSE)
        mask = same if mask is None else pc.and_(mask, same)
    return raw if mask is None else raw.filter(mask)


def union(first: pa.Table, second: pa.Table) -> pa.Table:
    """The lines of both, once each (by file hash and row), in landing order."""
    import pyarrow as pa

    seen = set(zip(*(first.column(c).to_pylist() for c in LINE_ID), strict=True))
    rows = first.to_pylist() + [
        r for r in second.to_pylist() if (r["_source_hash"], r["_source_row"]) not in seen
    ]
    rows.sort(key=lambda r: (r["_source_file"], r["_source_row"]))
    return pa.Table.from_pylist(rows, schema=first.schema)


def superseded_lines(
    tables: Tables, plan: SilverPlan, live: pa.Table, quarantined: pa.Table
) -> pa.Table:
    """Bronze lines of the keys that are neither the live row nor quarantined, each with the
    live line that replaced it (`by_file`, `by_row`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # The latest ingested line of a key wins, so the lines it superseded were ingested no later
    # than it: bronze's files ingested after every live row are skipped by their statistics.
    latest = pc.max(live.column("_ingested_at"))
    lines = lines_of_keys(tables, plan, plan.bronze, live, ingested_by=latest)
    if lines.num_rows == 0:
        return lines
    others = lines.join(live.select(LINE_ID), keys=LINE_ID, join_type="left anti")
    if quarantined.num_rows:
        others = others.join(quarantined.select(LINE_ID), keys=LINE_ID, join_type="left anti")
    winners = live.select([*plan.raw_key, "_source_file", "_source_row"]).rename_columns(
        [*plan.raw_key, "by_file", "by_row"]
    )
    out = others.join(winners, keys=list(plan.raw_key), join_type="left outer")
    if out.num_rows == 0:
        return pa.table({})
    return out.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")])
