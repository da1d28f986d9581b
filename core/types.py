"""Column types as a pipeline writes them ("string", "decimal(18,2)", "timestamp"...).

A declaration names its types as text so that declaring a pipeline imports no pyarrow (the
console loads the pipeline before its first screen); `arrow_type` turns a name into the
pyarrow type when a block first needs it. One home for the names: the data dictionary and the
guide list these, and a name outside them is refused when the pipeline loads.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

# Each name and what it holds, in the order the guide lists them.
NAMES: dict[str, str] = {
    "string": "text",
    "int64": "a whole number (64-bit)",
    "int32": "a whole number (32-bit)",
    "double": "a floating-point number",
    "bool": "true or false",
    "date": "a calendar date",
    "timestamp": "a moment in time, UTC, microseconds",
    "decimal(P,S)": "an exact number: P digits, S after the point (P ≤ 38)",
}
ALIASES = {
    "str": "string",
    "text": "string",
    "int": "int64",
    "bigint": "int64",
    "long": "int64",
    "integer": "int32",
    "float": "double",
    "float64": "double",
    "boolean": "bool",
    "date32": "date",
    "timestamp[us, utc]": "timestamp",
}
DECIMAL = re.compile(r"^decimal\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$")


class TypeNameError(ValueError):
    """A declared type name lakeconsole does not know; the message lists the ones it does."""


def normal_type(name: str) -> str:
    """The one spelling of a type name ("BIGINT" → "int64"); TypeNameError when unknown."""
    text = name.strip().lower()
    text = ALIASES.get(text, text)
    match = DECIMAL.match(text)
    if match:
        precision, scale = int(match[1]), int(match[2])
        if not 1 <= precision <= 38 or scale > precision:
            raise TypeNameError(
                f"type '{name}': a decimal needs 1 ≤ precision ≤ 38 and scale ≤ precision"
            )
        return f"decimal({precision},{scale})"
    if text in NAMES:
        return text
    raise TypeNameError(f"unknown column type '{name}'; use one of: {', '.join(NAMES)}")


@cache
def arrow_type(name: str) -> pa.DataType:
    """The pyarrow type of a type name (imports pyarrow)."""
    import pyarrow as pa

    text = normal_type(name)
    match = DECIMAL.match(text)
    if match:
        return pa.decimal128(int(match[1]), int(match[2]))
    return {
        "string": pa.string(),
        "int64": pa.int64(),
        "int32": pa.int32(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[text]
