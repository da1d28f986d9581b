"""Trace one gold row to the silver rows behind it and the landing lines they came from.

Every read is a pyarrow dataset scan with a filter (core.lineage.plan says on which columns):
delta-rs gives each data file its partition values and column statistics, so a gold row's day
reads one silver partition, and bronze's files whose key range cannot hold the keys are skipped
unread. Only the columns shown are read from bronze and quarantine.

Every landing line of a silver key ends in one place (OPS-02 accounting): the live silver row,
a superseded line (an older line of the key that a later one replaced), or quarantine.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeconsole.core.explorer.table import (
    ExplorerError,
    explain,
    open_table,
    resolve_table,
    table_name,
)
from lakeconsole.core.lineage.plan import SilverPlan, TraceError, TracePlan, plan_trace
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import as_location

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

DEFAULT_LIMIT = 20
LINE = ("_source_file", "_source_row", "_ingested_at", "_source_hash")
LINE_ID = ["_source_hash", "_source_row"]


@dataclass(frozen=True)
class SilverRows:
    """The rows of one silver table behind the gold row, and the other lines of their keys."""

    table: str
    matched_on: dict[str, Any]  # the silver filter: gold key column → the gold row's value
    unmatched: tuple[str, ...]  # gold key columns silver lacks (the gold function computes them)
    rows: pa.Table  # `limit` rows from `offset`, in landing order: lineage columns first
    total: int
    offset: int
    bronze: str
    superseded: pa.Table  # older lines of the same keys, and the line that replaced each
    quarantine: str | None
    quarantined: pa.Table  # lines of the same keys in quarantine, with rule and detail
    notes: tuple[str, ...] = ()
    key: tuple[str, ...] = ()  # silver's key: what a superseded or quarantined line shares

    def shown_columns(self) -> list[str]:
        """The columns worth a glance beside each row's line: all but lineage and the filter's
        (the same in every row)."""
        return [c for c in self.rows.column_names if c not in LINE and c not in self.matched_on]

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "matched_on": self.matched_on,
            "unmatched": list(self.unmatched),
            "total": self.total,
            "offset": self.offset,
            "rows": self.rows.to_pylist(),
            "bronze": self.bronze,
            "superseded": self.superseded.to_pylist(),
            "quarantine": self.quarantine,
            "quarantined": self.quarantined.to_pylist(),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Trace:
    gold: str
    version: int
    key: dict[str, Any]
    row: dict[str, Any]
    silver: tuple[SilverRows, ...]
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def key_text(self) -> str:
        return " ".join(f"{k}={_text(v)}" for k, v in self.key.items())

    def measures(self) -> dict[str, Any]:
        """The gold row's values beside its key."""
        return {k: v for k, v in self.row.items() if k not in self.key}

    def as_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "version": self.version,
            "key": self.key,
            "row": self.row,
            "silver": [s.as_dict() for s in self.silver],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


def parse_keys(pairs: Sequence[str]) -> dict[str, str]:
    """`["order_date=2024-01-05", "region=west"]` → {"order_date": "2024-01-05", ...}."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise TraceError(
                f"'{pair}' is not KEY=VALUE: name each key column of the row with its value "
                "(order_date=2024-01-05)"
            )
        out[name.strip()] = value.strip()
    return out


def trace_row(
    settings: Settings,
    table: str,
    given: Mapping[str, Any],
    version: int | None = None,
    limit: int = DEFAULT_LIMIT,
    cancelled: Callable[[], bool] | None = None,
    offset: int = 0,
) -> Trace:
    """The gold row of `table` (at `version`, default latest) whose key is `given`, the silver
    rows that make it up (the first `limit`), and the superseded and quarantined lines of
    their keys. Raises TraceError or ExplorerError with one line saying what to give instead."""
    from lakeconsole.core.arrow import keep_pandas_out
    from lakeconsole.core.pipeline import load_pipeline

    started = time.perf_counter()
    keep_pandas_out()  # pyarrow's pandas probe would import pandas: 0.3-0.4 s a trace needs not
    path = resolve_table(table, settings.data_dir)
    name = table_name(settings.data_dir, path)
    declared = load_pipeline(settings).declared
    if declared is None:
        raise TraceError(
            f"{name} cannot be traced: the pipeline {settings.pipeline} is a list of steps, not "
            "a declaration (lakeconsole.Pipeline), so which silver rows make a row is unknown"
        )
    plan = plan_trace(declared, name)
    _check_given(plan, given)
    gold = open_table(path, version)
    at = _commit_time(path, gold.version()) if version is not None else None
    row = _gold_row(gold, path, plan, given)
    key = {k: row[k] for k in plan.key}
    found = []
    for silver in plan.silvers:
        if cancelled is not None and cancelled():
            break
        if silver.matched_on:
            found.append(_silver_rows(settings, silver, row, at, offset, limit))
    notes = [_skipped(s) for s in plan.silvers if not s.matched_on]
    return Trace(
        name,
        gold.version(),
        key,
        row,
        tuple(found),
        time.perf_counter() - started,
        tuple(notes),
    )


def _check_given(plan: TracePlan, given: Mapping[str, Any]) -> None:
    name, key = plan.gold.name, plan.key
    columns = [c.name for c in plan.gold.spec.columns]
    keys = ", ".join(key)
    unknown = [c for c in given if c not in columns]
    if unknown:
        raise TraceError(
            f"{name} has no column {', '.join(unknown)}; a row is named by its key: {keys}"
        )
    not_key = [c for c in given if c not in key]
    if not_key:
        raise TraceError(
            f"{', '.join(not_key)} is not part of the key of {name}; name the row by its key "
            f"only: {keys}"
        )
    missing = [c for c in key if c not in given]
    if missing:
        example = " ".join(f"{c}=..." for c in key)
        raise TraceError(
            f"{name} is keyed by {keys}: give {', '.join(missing)} too "
            f"(lakeconsole trace {name} {example})"
        )


def _skipped(silver: SilverPlan) -> str:
    return (
        f"{silver.silver.name} is not traced: it shares no key column with the gold table, so "
        "none of its rows can be tied to this row"
    )


def _commit_time(path: Any, version: int) -> dt.datetime | None:
    """When `version` was committed (its commitInfo), to read the other tables as they were."""
    from lakeconsole.core.explorer.log import read_commit

    try:
        stamp = read_commit(path, version).info.get("timestamp")
    except ExplorerError:
        return None
    return dt.datetime.fromtimestamp(stamp / 1000, dt.UTC) if isinstance(stamp, int) else None


Condition = tuple[str, str, Any]  # (column, "==" | ">=" | "<=" | "in", a pyarrow scalar or array)
DELTA_OPS = {"==": "=", ">=": ">=", "<=": "<=", "in": "in"}


def _scan(
    table: DeltaTable,
    path: Any,
    conditions: Sequence[Condition],
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The rows of `table` meeting every condition, reading only the files whose partition
    values and column statistics can hold them.

    The files are chosen by delta-rs from its log (`file_pruning_predicate`: partition values
    exactly, other columns by per-file min/max), before the dataset is built: building it for
    every file of silver took 0.44 s of a 1.0 s trace at 1M rows. The rows are then filtered on
    the columns as they are, else with each cast to the table's type (a file may hold text as
    string_view, which no kernel compares with a string; a cast column prunes nothing)."""
    import pyarrow as pa
    import pyarrow.dataset as pds

    files = [(c, DELTA_OPS[op], _python(v)) for c, op, v in conditions]
    # Our own file system: delta-rs's handler can abort the process at exit (DELTALAKE-NOTES).
    filesystem = as_location(path).arrow_filesystem()
    try:
        data = table.to_pyarrow_dataset(filesystem=filesystem, file_pruning_predicate=files)
    except Exception:  # a value delta-rs cannot encode: every file, filtered below
        data = table.to_pyarrow_dataset(filesystem=filesystem)

    def rows_where(cast: bool) -> pa.Table:
        exact = None
        for column, op, value in conditions:
            kind = data.schema.field(column).type
            field = pds.field(column).cast(kind) if cast else pds.field(column)
            one = _compare(field, op, value.cast(kind))
            exact = one if exact is None else exact & one
        return data.to_table(columns=columns, filter=exact)

    try:
        # The bare columns first: pyarrow then skips row groups by their statistics too (a
        # bronze file of 1M lines has eight).
        return rows_where(cast=False)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid):
        return rows_where(cast=True)


def _python(value: Any) -> Any:
    return value.to_pylist() if hasattr(value, "to_pylist") else value.as_py()


def _schema(table: DeltaTable) -> pa.Schema:
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


def _compare(field: ds.Expression, op: str, value: Any) -> ds.Expression:
    if op == "in":
        return field.isin(value)
    if op == ">=":
        return field >= value
    if op == "<=":
        return field <= value
    return field == value


def _typed(text: str, kind: pa.DataType) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(text).cast(kind)


def _gold_row(gold: DeltaTable, path: Any, plan: TracePlan, given: Mapping[str, Any]) -> dict:
    import pyarrow as pa

    from lakeconsole.core.explorer.version import columns_of

    schema = _schema(gold)
    types = {c.name: c.type for c in columns_of(gold)}
    conditions: list[Condition] = []
    for column in plan.key:
        try:
            conditions.append(
                (column, "==", _typed(_text(given[column]), schema.field(column).type))
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise TraceError(
                f"{column}={given[column]}: '{given[column]}' is not a {types.get(column)}, "
                f"the type of {column} in {plan.gold.name}"
            ) from None
    try:
        rows = _scan(gold, path, conditions)
    except Exception as exc:
        raise explain(exc, path, gold.version()) from None
    if rows.num_rows == 0:
        said = " ".join(f"{c}={given[c]}" for c in plan.key)
        first = plan.key[0]
        raise TraceError(
            f"no row of {plan.gold.name} (version {gold.version()}) has {said}; its rows of "
            f"one {first}: lakeconsole show {plan.gold.name} --where {first}={given[first]}"
        )
    return dict(rows.slice(0, 1).to_pylist()[0])


def _open_at(path: Any, at: dt.datetime | None) -> DeltaTable:
    table = open_table(path)
    if at is not None:
        table.load_as_version(at)
    return table


def _equal(values: Mapping[str, Any]) -> list[Condition]:
    import pyarrow as pa

    return [(column, "==", pa.scalar(value)) for column, value in values.items()]


def _silver_rows(
    settings: Settings,
    plan: SilverPlan,
    row: Mapping[str, Any],
    at: dt.datetime | None,
    offset: int,
    limit: int,
) -> SilverRows:
    import pyarrow as pa

    spec = plan.silver.spec
    path = spec.path(settings.data_dir)
    matched = {c: row[c] for c in plan.matched_on}
    table = _open_at(path, at)
    try:
        rows = _scan(table, path, _equal(matched))
    except Exception as exc:
        raise explain(exc, path, table.version()) from None
    order = [*LINE, *(c for c in rows.column_names if c not in LINE)]
    rows = _plain(rows.select([c for c in order if c in rows.column_names]))
    rows = rows.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")])
    notes = []
    if plan.unmatched:
        notes.append(
            f"{', '.join(plan.unmatched)} is computed by the gold table's function, not a column "
            f"of {spec.name}: these are all its rows with "
            f"{', '.join(f'{k}={_text(v)}' for k, v in matched.items())}"
        )
    empty = pa.table({})
    superseded = quarantined = empty
    if not plan.raw_key:
        notes.append(
            f"every key column of {spec.name} ({', '.join(spec.key)}) is derived in silver: "
            "superseded and quarantined lines cannot be looked up by key"
        )
    elif rows.num_rows:
        if plan.derived_key:
            notes.append(
                f"{', '.join(plan.derived_key)} is derived in silver: other lines are matched "
                f"on {', '.join(plan.raw_key)} only"
            )
        quarantined = _lines_of_keys(settings, plan, plan.quarantine, rows, at, ("rule", "detail"))
        superseded = _superseded(settings, plan, rows, quarantined, at)
    if plan.raw_key:
        of_row = _quarantined_of_row(settings, plan, matched, at)
        quarantined = _union(quarantined, of_row) if quarantined.num_rows else of_row
    return SilverRows(
        spec.name,
        matched,
        plan.unmatched,
        rows.slice(offset, limit),
        rows.num_rows,
        offset,
        plan.bronze,
        superseded,
        plan.quarantine,
        quarantined,
        tuple(notes),
        plan.raw_key,
    )


def _lines_of_keys(
    settings: Settings,
    plan: SilverPlan,
    table_name_: str | None,
    live: pa.Table,
    at: dt.datetime | None,
    extra: Sequence[str] = (),
    ingested_by: Any = None,
) -> pa.Table:
    """The lines of `table_name_` (bronze or quarantine: raw text) holding a key of `live`:
    read through the first raw key column (IN the keys, and within their range, so files and
    row groups whose statistics say otherwise are skipped), then matched on the whole key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakeconsole.core.blocks.casts import cast_text

    if table_name_ is None:
        return pa.table({})
    path = settings.data_dir / table_name_
    if not (path / "_delta_log").is_dir():
        return pa.table({})
    first = plan.raw_key[0]
    texts = pc.unique(pc.cast(live.column(first), pa.string())).drop_null()
    low, high = pc.min_max(texts).values()
    table = _open_at(path, at)
    names = _schema(table).names
    conditions: list[Condition] = [(first, ">=", low), (first, "<=", high), (first, "in", texts)]
    if ingested_by is not None and "_ingested_at" in names:
        conditions.append(("_ingested_at", "<=", ingested_by))
    columns = [c for c in [*plan.raw_key, *LINE, *extra] if c in names]
    found = _plain(_scan(table, path, conditions, columns))
    types = {c.name: c.type for c in plan.silver.spec.columns}
    typed = found
    for column in plan.raw_key:
        raw = pc.utf8_trim_whitespace(pc.cast(found.column(column), pa.string()))
        values = cast_text(raw, types[column]).cast(live.schema.field(column).type)
        typed = typed.set_column(typed.schema.get_field_index(column), column, values)
    keys = live.select(list(plan.raw_key)).group_by(list(plan.raw_key)).aggregate([])
    matched = typed.join(keys, keys=list(plan.raw_key), join_type="inner")
    return matched.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")])


def _quarantined_of_row(
    settings: Settings, plan: SilverPlan, matched: Mapping[str, Any], at: dt.datetime | None
) -> pa.Table:
    """Quarantined lines that would have counted in the gold row: typed and derived as silver
    does (core.blocks.cleaning), they hold its values in the columns the row is matched on.
    Their key need never have reached silver (a line rejected the first time it came)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakeconsole.core.arrow import FALSE, scalar
    from lakeconsole.core.blocks.casts import cast_text
    from lakeconsole.core.blocks.cleaning import _derive

    silver = plan.silver
    if plan.quarantine is None or silver.from_ is None:
        return pa.table({})
    path = settings.data_dir / plan.quarantine
    if not (path / "_delta_log").is_dir():
        return pa.table({})
    table = _open_at(path, at)
    names = set(_schema(table).names)
    source = [c for c in silver.from_.source.columns if c in names]
    extra = [c for c in (*LINE, "rule", "detail") if c in names]
    raw = _plain(_scan(table, path, [], [*source, *extra]))
    if raw.num_rows == 0:
        return raw
    declared = {c.name: c for c in silver.declared}
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


def _union(first: pa.Table, second: pa.Table) -> pa.Table:
    """The lines of both, once each (by file hash and row), in landing order."""
    import pyarrow as pa

    seen = set(zip(*(first.column(c).to_pylist() for c in LINE_ID), strict=True))
    rows = first.to_pylist() + [
        r for r in second.to_pylist() if (r["_source_hash"], r["_source_row"]) not in seen
    ]
    rows.sort(key=lambda r: (r["_source_file"], r["_source_row"]))
    return pa.Table.from_pylist(rows, schema=first.schema)


def _superseded(
    settings: Settings,
    plan: SilverPlan,
    live: pa.Table,
    quarantined: pa.Table,
    at: dt.datetime | None,
) -> pa.Table:
    """Bronze lines of the keys that are neither the live row nor quarantined, each with the
    live line that replaced it (`by_file`, `by_row`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # The latest ingested line of a key wins, so the lines it superseded were ingested no later
    # than it: bronze's files ingested after every live row are skipped by their statistics.
    latest = pc.max(live.column("_ingested_at"))
    lines = _lines_of_keys(settings, plan, plan.bronze, live, at, ingested_by=latest)
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


def _plain(rows: pa.Table) -> pa.Table:
    from lakeconsole.core.blocks.tables import plain_strings

    return plain_strings(rows)


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def line_text(file: Any, row: Any) -> str:
    """A landing line as people cite it: `orders_0003.csv:17`."""
    return f"{file}:{row}"


def gold_key(settings: Settings, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The key of a row of the gold table `table` (as `trace_row` takes it), from the
    declaration; a TraceError when the table cannot be traced."""
    from lakeconsole.core.pipeline import load_pipeline

    declared = load_pipeline(settings).declared
    if declared is None:
        raise TraceError(f"{table} cannot be traced: the pipeline is not a declaration")
    plan = plan_trace(declared, table)
    return {k: row[k] for k in plan.key if k in row}


def own_line(row: Mapping[str, Any]) -> str | None:
    """Where a bronze, silver or quarantine row came from (`orders_0002.csv:17, ingested
    2026-12-03 13:37 UTC`), or None for a row that carries no lineage."""
    if row.get("_source_file") is None or row.get("_source_row") is None:
        return None
    said = line_text(row["_source_file"], row["_source_row"])
    at = row.get("_ingested_at")
    if isinstance(at, dt.datetime):
        said += f", ingested {at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
    return said


def values_text(row: Mapping[str, Any], columns: Sequence[str], width: int = 24) -> str:
    """`price=42.98 qty=4 ...`: a row's other values on one line, each cut to `width`."""
    from lakeconsole.core.explorer.version import cell_text

    return " ".join(f"{c}={cell_text(shown(row[c]), width)}" for c in columns if c in row)


def key_text(row: Mapping[str, Any], key: Sequence[str]) -> str:
    """`order_id=O1 line_no=2`: the key of a line, as a screen shows it."""
    return " ".join(f"{k}={shown(row[k])}" for k in key if k in row)


def shown(value: Any) -> str:
    """A value as a screen shows it: a UTC time as `2024-01-05 01:00:00Z`, short."""
    if isinstance(value, dt.datetime) and value.utcoffset() == dt.timedelta(0):
        return f"{value:%Y-%m-%d %H:%M:%S}Z"
    return _text(value)
