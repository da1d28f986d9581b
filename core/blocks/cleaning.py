"""Silver's cleaning of bronze lines for any declared silver table: trim, cast, derive, validate.

Vectorised with pyarrow.compute. Every rule is checked on every line; a line failing any goes to
quarantine with the first rule it failed (typed columns' implicit `parses` rules first, then the
declared rules in declaration order) and `"<column> '<text>' <problem>"` as detail, the text
being the trimmed landing text of a source column (a derived column: its value as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.api import LINEAGE, Col, Derived, Rule, SilverTable
from lakeconsole.core.arrow import EMPTY, FALSE, TRUE, ZERO, array, from_numpy, scalar, to_numpy
from lakeconsole.core.blocks.casts import cast_text, parse_timestamps
from lakeconsole.core.dag import PipelineError
from lakeconsole.core.types import arrow_type

__all__ = ["Cleaned", "clean", "keep_latest", "parse_timestamps", "rules_of"]
Values: TypeAlias = pa.Array | pa.ChunkedArray


@dataclass
class Cleaned:
    valid: pa.Table  # silver columns
    rejected: pa.Table  # quarantine columns (without _run_id)


def rules_of(table: SilverTable) -> list[Rule]:
    """The rules in the order they are checked: an implicit `parses` for each typed source
    column the declaration gives none, an implicit `not_null` for each unchecked text key
    column, then the declared ones."""
    source = set(_source(table))
    parsed = {r.column for r in table.rules if r.kind == "parses"}
    derived = {d.column for d in table.derive}
    implicit = [
        Rule(c.invalid or f"{c.name}_invalid", c.name, "parses", c.problem or "")
        for c in table.declared
        if c.type != "string" and c.name in source and c.name not in derived
        if c.name not in parsed
    ]
    types = {c.name: c for c in table.declared}
    # A row without its key cannot be merged (a null never matches, so each replay would add it
    # again): a text key column the declaration does not check is checked anyway. Typed key
    # columns are already caught by their parses rule.
    checked = {r.column for r in table.rules if r.kind in ("not_null", "parses")}
    keys = [
        Rule(f"{k}_missing", k, "not_null", "is empty (a key column)")
        for k in table.spec.key
        if k not in checked and types[k].type == "string"
    ]
    return [_worded(r, types[r.column]) for r in (*implicit, *keys, *table.rules)]


def _worded(r: Rule, c: Col) -> Rule:
    """A `parses` rule declared without wording says what the column's type is."""
    if r.kind != "parses" or r.problem:
        return r
    return replace(r, problem=c.problem or f"is not a valid {c.type}")


def clean(raw: pa.Table, table: SilverTable) -> Cleaned:
    """Split bronze lines into typed silver rows and rejected lines with their first rule."""
    declared = {c.name: c for c in table.declared}
    source = _source(table)
    text = {c: pc.utf8_trim_whitespace(raw.column(c)) for c in source}
    values: dict[str, Values] = {}
    parsed: dict[str, Values] = {}  # typed source columns as cast from their text
    for name, c in declared.items():
        if name in text:
            values[name] = cast_text(text[name], c.type)
            parsed[name] = values[name]
    lineage = {c.name: raw.column(c.name) for c in LINEAGE}
    for d in table.derive:
        values[d.column] = _derive(d, values, text, declared[d.column], lineage)

    rules = rules_of(table)
    failed = [_failed(r, values, parsed, declared, lineage, table) for r in rules]
    bad = failed[0] if failed else from_numpy(np.zeros(raw.num_rows, dtype=bool))
    for mask in failed[1:]:
        bad = pc.or_(bad, mask)
    good = pc.invert(bad)

    valid = pa.table({**{c: values[c] for c in declared}, **lineage}).filter(good)
    assert table.rejected_rows is not None
    rejected_schema = pa.schema([f for f in table.rejected_rows.schema if f.name != "_run_id"])
    rejected = raw.select([*source, *lineage]).filter(bad)
    shown = {r.column: _shown(r.column, text, values) for r in rules}
    rule_name, detail = _first_failure(
        rules, [m.filter(bad) for m in failed], {c: v.filter(bad) for c, v in shown.items()}
    )
    rejected = (
        rejected.append_column("rule", rule_name)
        .append_column("detail", detail)
        .cast(rejected_schema)
    )
    return Cleaned(valid.cast(table.spec.schema), rejected)


def _source(table: SilverTable) -> tuple[str, ...]:
    assert table.from_ is not None
    return table.from_.source.columns


def _derive(
    d: Derived,
    values: dict[str, Values],
    text: dict[str, Values],
    to: Col,
    lineage: dict[str, Values],
) -> Values:
    """One derived column from the values so far (a source column it replaces included)."""
    target = arrow_type(to.type)
    if d.function == "python":
        assert d.python is not None
        rows = pa.table({**values, **lineage})
        try:
            out = d.python(rows)
        except Exception as exc:
            raise PipelineError(
                f"derive {d.column}: the function raised {type(exc).__name__}: {exc}; fix it"
            ) from exc
        return pc.cast(out, target)
    given = values.get(d.source, text.get(d.source))
    assert given is not None
    if d.function == "upper":
        return pc.utf8_upper(given)
    if d.function == "lower":
        return pc.utf8_lower(given)
    if d.function == "trim":
        return pc.utf8_trim_whitespace(given)
    if d.function == "date":
        if pa.types.is_string(given.type):
            return cast_text(given, "date")
        return pc.cast(given, pa.date32())
    # cast: strict from text, Arrow's own cast between typed values
    if pa.types.is_string(given.type):
        return pc.cast(cast_text(given, d.to_type), target)
    return pc.cast(given, target)


def _failed(
    r: Rule,
    values: dict[str, Values],
    parsed: dict[str, Values],
    declared: dict[str, Col],
    lineage: dict[str, Values],
    table: SilverTable,
) -> Values:
    """Where rows fail rule `r` (never null). A null value fails only not_null and parses."""
    v = values[r.column]
    if r.kind == "parses":
        return pc.is_null(parsed.get(r.column, v))
    if r.kind == "not_null":
        if pa.types.is_string(v.type):
            return pc.fill_null(pc.equal(pc.utf8_length(v), ZERO), TRUE)
        return pc.is_null(v)
    if r.kind == "at_least":
        return pc.fill_null(pc.less(v, _scalar(r.args[0], v.type)), FALSE)
    if r.kind == "at_most":
        return pc.fill_null(pc.greater(v, _scalar(r.args[0], v.type)), FALSE)
    if r.kind == "between":
        low, high = (_scalar(a, v.type) for a in r.args)
        return pc.fill_null(pc.or_(pc.less(v, low), pc.greater(v, high)), FALSE)
    if r.kind == "one_of":
        allowed = _allowed(r.args, v.type)
        return pc.and_(pc.is_valid(v), pc.invert(pc.is_in(v, value_set=allowed)))
    if r.kind == "matches":
        shown = v if pa.types.is_string(v.type) else pc.cast(v, pa.string())
        return pc.fill_null(pc.invert(pc.match_substring_regex(shown, r.args[0])), FALSE)
    if r.kind == "check":
        return _checked(r, pa.table({**{c: values[c] for c in declared}, **lineage}), table)
    raise PipelineError(f"{table.name}: rule {r.name} has an unknown kind '{r.kind}'")


def _checked(r: Rule, rows: pa.Table, table: SilverTable) -> Values:
    """A custom rule's failures; one that raises or answers wrongly fails the step."""
    assert r.check is not None
    try:
        passes = r.check(rows)
        if isinstance(passes, pa.ChunkedArray | pa.Array):
            mask = pc.cast(passes, pa.bool_())
        else:
            mask = from_numpy(np.asarray(passes, dtype=bool))
        if len(mask) != rows.num_rows:
            raise ValueError(f"it returned {len(mask)} answers for {rows.num_rows} rows")
    except Exception as exc:
        raise PipelineError(
            f"{table.name}: rule {r.name} raised {type(exc).__name__}: {exc}; fix the rule "
            "(nothing of this batch was written)"
        ) from exc
    return pc.invert(pc.fill_null(mask, TRUE))


def _scalar(value: Any, to: pa.DataType) -> pa.Scalar:
    """A rule's bound as a scalar of the column's type (a decimal exactly, not via float)."""
    if pa.types.is_decimal(to) and isinstance(value, int | float):
        return scalar(Decimal(str(value)), to)
    try:
        return scalar(value, to)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return scalar(value)


def _allowed(values: tuple[Any, ...], to: pa.DataType) -> pa.Array:
    try:
        return array(list(values), to)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pc.cast(array(list(values)), to)


def _shown(column: str, text: dict[str, Values], values: dict[str, Values]) -> Values:
    """What a detail quotes: the trimmed landing text, else the value as text."""
    if column in text:
        return text[column]
    v = values[column]
    return v if pa.types.is_string(v.type) else pc.cast(v, pa.string())


def _first_failure(
    rules: Sequence[Rule], failed: Sequence[Values], text: dict[str, Values]
) -> tuple[Values, Values]:
    """The first failed rule per line and its detail, e.g. "qty '-3' is not at least 1"."""
    null = scalar(None, pa.string())
    name: Values | pa.Scalar = null
    detail: Values | pa.Scalar = null
    for r, mask in reversed(list(zip(rules, failed, strict=True))):
        message = pc.binary_join_element_wise(
            scalar(f"{r.column} '"),
            pc.fill_null(text[r.column], EMPTY),
            scalar(f"' {r.problem}"),
            EMPTY,
        )
        name = pc.if_else(mask, scalar(r.name), name)
        detail = pc.if_else(mask, message, detail)
    if isinstance(name, pa.Scalar):  # no rules: no line is rejected
        return pa.nulls(0, pa.string()), pa.nulls(0, pa.string())
    return name, detail


def keep_latest(rows: pa.Table, key: Sequence[str]) -> tuple[pa.Table, int]:
    """One row per key: the most recently ingested (then the later landing row). Returns it
    and how many rows lost."""
    key = list(key)
    if rows.num_rows < 2 or _keys_unique(rows, key):
        return rows, 0  # nothing to drop; the order stays (files written from it are as tight)
    rows = rows.sort_by(
        [(k, "ascending") for k in key]
        + [("_ingested_at", "ascending"), ("_source_row", "ascending")]
    )
    n = rows.num_rows
    last_of_key: Values | None = None
    for k in key:
        values = rows.column(k)
        differs = pc.fill_null(pc.not_equal(values.slice(0, n - 1), values.slice(1)), TRUE)
        last_of_key = differs if last_of_key is None else pc.or_(last_of_key, differs)
    assert last_of_key is not None
    chunks = last_of_key.chunks if isinstance(last_of_key, pa.ChunkedArray) else [last_of_key]
    live = rows.filter(pa.concat_arrays([*chunks, array([True])]))
    return live, n - live.num_rows


def _keys_unique(rows: pa.Table, key: Sequence[str]) -> bool:
    """Whether no key occurs twice: each key column as small integer codes (an integer column's
    offset from its minimum, other columns' dictionary indices) packed into one int64 and
    sorted, a fraction of sorting the whole batch by its keys. False when it cannot tell."""
    packed = np.zeros(rows.num_rows, dtype=np.int64)
    bits = 0
    for k in key:
        values = rows.column(k)
        if values.null_count:
            return False  # let the sort decide
        if pa.types.is_integer(values.type):
            low, high = (s.as_py() for s in pc.min_max(values).values())
            width = int(high - low).bit_length()
            codes = to_numpy(values).astype(np.int64) - low
        else:
            try:
                encoded = pc.dictionary_encode(values.combine_chunks())
            except pa.ArrowNotImplementedError:
                return False  # a type Arrow cannot encode: let the sort decide
            width = max(len(encoded.dictionary) - 1, 0).bit_length()
            codes = to_numpy(encoded.indices).astype(np.int64)
        bits += width
        if bits > 62:
            return False
        packed = np.left_shift(packed, width) + codes
    packed.sort()
    return not bool((packed[1:] == packed[:-1]).any())
