"""Trace one gold row to the silver rows behind it and the landing lines they came from.

core.lineage.plan says, from the declaration, which silver rows make up a gold row; read.py
reads only the files and rows they can be in (partition values and per-file statistics from
the log, row-group statistics in the files); lines.py finds the other landing lines of their
keys (superseded in bronze, or quarantined); text.py writes them for the CLI and the console.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeconsole.core.blocks.keys import as_text
from lakeconsole.core.explorer.table import (
    ExplorerError,
    explain,
    open_table,
    resolve_table,
    table_name,
)
from lakeconsole.core.lineage.lines import (
    LINE,
    lines_of_keys,
    quarantined_of_row,
    superseded_lines,
    union,
)
from lakeconsole.core.lineage.plan import SilverPlan, TraceError, TracePlan, plan_trace
from lakeconsole.core.lineage.read import (
    Condition,
    Tables,
    open_at,
    plain,
    scan,
    schema_of,
    typed,
)
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

DEFAULT_LIMIT = 20


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
        return " ".join(f"{k}={as_text(v)}" for k, v in self.key.items())

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
    path = resolve_table(table, settings.lake_root)
    name = table_name(settings.lake_root, path)
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


def _gold_row(gold: DeltaTable, path: Any, plan: TracePlan, given: Mapping[str, Any]) -> dict:
    import pyarrow as pa

    from lakeconsole.core.explorer.version import columns_of

    schema = schema_of(gold)
    types = {c.name: c.type for c in columns_of(gold)}
    conditions: list[Condition] = []
    for column in plan.key:
        try:
            conditions.append(
                (column, "==", typed(as_text(given[column]), schema.field(column).type))
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise TraceError(
                f"{column}={given[column]}: '{given[column]}' is not a {types.get(column)}, "
                f"the type of {column} in {plan.gold.name}"
            ) from None
    try:
        rows = scan(gold, conditions)
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
    path = spec.path(settings.lake_root)
    matched = {c: row[c] for c in plan.matched_on}
    table = open_at(path, at)
    tables = Tables(settings.lake_root, at)
    try:
        rows = scan(table, _equal(matched))
    except Exception as exc:
        raise explain(exc, path, table.version()) from None
    order = [*LINE, *(c for c in rows.column_names if c not in LINE)]
    rows = plain(rows.select([c for c in order if c in rows.column_names]))
    rows = rows.sort_by([("_source_file", "ascending"), ("_source_row", "ascending")])
    notes = []
    if plan.unmatched:
        notes.append(
            f"{', '.join(plan.unmatched)} is computed by the gold table's function, not a column "
            f"of {spec.name}: these are all its rows with "
            f"{', '.join(f'{k}={as_text(v)}' for k, v in matched.items())}"
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
        quarantined = lines_of_keys(tables, plan, plan.quarantine, rows, ("rule", "detail"))
        superseded = superseded_lines(tables, plan, rows, quarantined)
    if plan.raw_key:
        of_row = quarantined_of_row(tables, plan, matched)
        quarantined = union(quarantined, of_row) if quarantined.num_rows else of_row
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


def gold_key(settings: Settings, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The key of a row of the gold table `table` (as `trace_row` takes it), from the
    declaration; a TraceError when the table cannot be traced."""
    from lakeconsole.core.pipeline import load_pipeline

    declared = load_pipeline(settings).declared
    if declared is None:
        raise TraceError(f"{table} cannot be traced: the pipeline is not a declaration")
    plan = plan_trace(declared, table)
    return {k: row[k] for k in plan.key if k in row}
