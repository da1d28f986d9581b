"""How a trace is written for people: landing lines, keys and values, one home for both faces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from lakeconsole.core.blocks.keys import as_text


def line_text(file: Any, row: Any) -> str:
    """A landing line as people cite it: `orders_0003.csv:17`."""
    return f"{file}:{row}"


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
    return as_text(value)
