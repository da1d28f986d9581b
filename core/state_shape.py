"""The shape of the engine's state files, checked on read.

A state file can hold valid JSON of the wrong shape (another version wrote it, a hand edit, a
restore from elsewhere). Readers check it here first and treat a wrong record as missing, with a
warning naming the file, instead of failing later on `int('x')` far from the cause."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

Kind = tuple[type, ...]
TEXT: Kind = (str,)
WHOLE: Kind = (int,)
NUMBER: Kind = (int, float)
LIST: Kind = (list,)
OBJECT: Kind = (dict,)
NONE: Kind = (type(None),)

# 9999-01-01T00:00:00Z. Past it (or before 1970) time.localtime and datetime cannot show a time.
_LAST_TIME = 253_370_764_800.0

_WORDS = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "an object"}


def _fits(value: object, kinds: Kind) -> bool:
    if isinstance(value, bool):  # JSON true is not a count or a time
        return bool in kinds
    return isinstance(value, kinds)


def _expected(kinds: Kind) -> str:
    if float in kinds:
        kinds = tuple(k for k in kinds if k is not int)
    words = [_WORDS.get(k, "null") for k in kinds]
    return " or ".join(words)


def is_time(key: str) -> bool:
    """Whether the field is a moment (seconds since 1970): by the name every state file gives
    its times, `at` or `..._at`."""
    return key == "at" or key.endswith("_at")


def _number_problem(key: str, value: object) -> str | None:
    """A number JSON can hold but no reader can use: NaN, infinity, a time outside the calendar."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if is_time(key):
        if not 0 <= value < _LAST_TIME:  # NaN fails every comparison
            return (
                f"{key!r} is {_shown(value)}, expected a time (seconds since 1970, "
                "before the year 9999)"
            )
    elif not math.isfinite(value):
        return f"{key!r} is {_shown(value)}, expected a finite number"
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def shape_problem(
    data: object, fields: Mapping[str, Kind], required: Iterable[str] = ()
) -> str | None:
    """What is wrong with `data` as an object of these fields, or None. Unknown keys are allowed
    (a newer version may add some)."""
    if not isinstance(data, dict):
        return f"{_shown(data)} is not an object"
    for key in required:
        if key not in data:
            return f"no {key!r}"
    for key, kinds in fields.items():
        if key not in data:
            continue
        if not _fits(data[key], kinds):
            return f"{key!r} is {_shown(data[key])}, expected {_expected(kinds)}"
        problem = _number_problem(key, data[key])
        if problem:
            return problem
    return None


def list_problem(items: object, kinds: Kind, name: str) -> str | None:
    """What is wrong with `items` as a list of `kinds`, or None."""
    if not isinstance(items, list):
        return f"{name!r} is {_shown(items)}, expected a list"
    for n, item in enumerate(items):
        if not _fits(item, kinds):
            return f"{name}[{n}] is {_shown(item)}, expected {_expected(kinds)}"
    return None


def known(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The keys of `data` that are `fields` (a record written by a newer version may have more)."""
    names = set(fields)
    return {k: v for k, v in data.items() if k in names}
