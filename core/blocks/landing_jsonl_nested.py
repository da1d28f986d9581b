"""A compact flat JSON object, cut out of a line the file's shape fits
(core.blocks.landing_jsonl_compact), as Python's reader prints it: `json.dumps(...,
separators=(",", ":"), ensure_ascii=False)`. That is the text as written bar a fraction's
trailing zeros (`10.50` → `10.5`); where it is not certain (a float Python prints otherwise, a key
twice, which Python keeps once) the line is left to the other readers.

In such an object every string is `"[^"]*"` (the shape's regex says so), so its quotes pair up
in order and a string followed by `:` is a key: the keys are found with numpy, not a regex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lakeconsole.core.blocks.landing_jsonl_fast import pieces, put

if TYPE_CHECKING:
    import pyarrow as pa

# Numbers Python prints otherwise than as written less trailing zeros (see
# core.blocks.landing_jsonl_fast): more digits than a double keeps, below 1e-4, -0.
_UNSURE = r"[0-9.]{17,}|(^|[^0-9.])-?0\.0000|-0([^.0-9]|$)"
# Objects with at most this many strings are checked for a key twice without a sort.
_FEW_KEYS = 16
# A fraction ending in 0, and how Python prints it: without the trailing zeros.
_ZERO = r"\.[0-9]*0([^0-9]|$)"
_ZEROS = (r'("[^"]*")|(\.[0-9]*?[0-9])0+([^0-9]|$)', r"\1\2\3")


def nested(
    values: pa.Array, block: bytes, quotes: np.ndarray, first: np.ndarray, end: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """The objects `values` as Python prints them, and which that is certain for; object i's
    quotes are quotes[first[i]:end[i]] (`quotes`: the block's quote positions)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    unsure = np.zeros(len(values), dtype=bool)
    # One pass finds the few objects either question is about (a tenth of them in app events).
    rows = np.flatnonzero(_matches(values, f"{_UNSURE}|{_ZERO}"))
    if len(rows):
        some = values.take(pa.array(rows))
        doubt = _matches(some, _UNSURE)
        if doubt.any():  # only a number outside the strings counts
            unquoted = pc.replace_substring_regex(some.filter(pa.array(doubt)), r'"[^"]*"', '""')
            unsure[rows[doubt]] = _matches(unquoted, _UNSURE)
        zeros = _matches(some, _ZERO)
        if zeros.any():
            fixed = pc.replace_substring_regex(some.filter(pa.array(zeros)), *_ZEROS)
            values = put(values, rows[zeros], fixed)
    return values, ~unsure & ~twice(block, quotes, first, end)


def twice(block: bytes, quotes: np.ndarray, first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Which objects (their quotes quotes[first:end]) hold a key twice (Python keeps the last
    value, at the first key's place): each object's keys numbered by their text, then
    neighbours compared."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = (end - first) // 2
    out = np.zeros(len(first), dtype=bool)
    rows = np.flatnonzero(strings >= 2)  # two keys are two strings at least
    if not len(rows):
        return out
    counts = strings[rows]
    owner = np.repeat(rows, counts)
    # The k-th string of an object starts at its quote 2k.
    before = np.repeat(np.cumsum(counts) - counts, counts)
    opening = np.repeat(first[rows], counts) + 2 * (np.arange(len(owner)) - before)
    opens, closes = quotes[opening], quotes[opening + 1]
    data = np.frombuffer(block, dtype=np.uint8)
    key = data[closes + 1] == ord(":")
    owner, opens, closes = owner[key], opens[key], closes[key]
    # The keys alone (what lies between them is long and each different: not worth a hash).
    names = pieces(block, np.stack([opens + 1, closes], axis=1)).take(
        pa.array(np.arange(0, 2 * len(opens), 2))
    )
    encoded = pc.dictionary_encode(names)
    number = np.asarray(encoded.indices).astype(np.int64)
    if counts.max() > _FEW_KEYS:
        pairs = np.sort(owner * len(encoded.dictionary) + number)
        out[pairs[1:][pairs[1:] == pairs[:-1]] // len(encoded.dictionary)] = True
        return out
    # An object's keys are next to each other: compare each with the few before it.
    for gap in range(1, int(counts.max())):
        same = (owner[gap:] == owner[:-gap]) & (number[gap:] == number[:-gap])
        out[owner[gap:][same]] = True
    return out


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.match_substring_regex(values, pattern), True))
