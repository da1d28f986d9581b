"""Strict casts of trimmed landing text to a declared type: null where the text is not a value
of the type (silver's `parses` rules), fast where Arrow's own cast can decide."""

from __future__ import annotations

from functools import cache
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.arrow import FALSE, TRUE, ZERO, array, scalar
from lakeconsole.core.types import DECIMAL, arrow_type

Values: TypeAlias = pa.Array | pa.ChunkedArray
UTC_TS = pa.timestamp("us", tz="UTC")
# A timestamp must be ISO 8601 to the second: date, 'T' or space, time, optional fraction,
# optional zone ('Z' or ±hh:mm; none means UTC).
TS_SHAPE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$"
# Of those, the values surely real: a day every such month has (29 February in leap years), a
# time of day and a zone of at most ±23:59.
_LEAP_YEAR = r"(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_REAL_DAY = (
    r"(?:\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    rf"|(?:0[13578]|1[02])-31)|{_LEAP_YEAR}-02-29)"
)
TS_SURE = (
    rf"^{_REAL_DAY}[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{{1,6}})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$"
)
DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}$"
INT_SHAPE = r"^[+-]?\d{1,18}$"
DOUBLE_SHAPE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def cast_text(text: Values, type_name: str) -> Values:
    """The values of `text` as `type_name` (core.types), null where one is not such a value."""
    if type_name == "string":
        return text
    if type_name in ("int64", "int32"):
        values = to_int(text)
        if type_name == "int32":
            fits = pc.and_(
                pc.greater_equal(values, scalar(-(1 << 31))), pc.less(values, scalar(1 << 31))
            )
            return _cast_where(values, fits, pa.int32())
        return values
    if type_name == "timestamp":
        return parse_timestamps(text)
    if type_name == "date":
        return parse_dates(text)
    if type_name == "double":
        return _cast_where(
            _unsigned_plus(text), pc.match_substring_regex(text, DOUBLE_SHAPE), pa.float64()
        )
    if type_name == "bool":
        lowered = pc.utf8_lower(text)
        known = array(list(BOOLS))
        at = pc.index_in(lowered, value_set=known)
        return pc.take(array(list(BOOLS.values())), at)
    if DECIMAL.match(type_name):
        to = arrow_type(type_name)
        return _cast_where(
            _unsigned_plus(text), pc.match_substring_regex(text, decimal_shape(type_name)), to
        )
    raise ValueError(f"no cast from text to {type_name}")


@cache
def decimal_shape(type_name: str) -> str:
    """decimal(P,S) as text: at most P-S digits before the point and S after it."""
    match = DECIMAL.match(type_name)
    assert match
    precision, scale = int(match[1]), int(match[2])
    whole = f"\\d{{1,{precision - scale}}}" if precision > scale else "0?"
    return f"^[+-]?{whole}(\\.\\d{{1,{scale}}})?$" if scale else f"^[+-]?{whole}$"


def to_int(text: Values) -> Values:
    # Arrow's cast alone when it takes every value and none is longer than INT_SHAPE allows
    # (it refuses '+', spaces and empty strings as the rule does): a tenth of the regex's time.
    try:
        values = pc.cast(text, pa.int64())
        if (pc.max(pc.utf8_length(text)).as_py() or 0) <= 18:
            return values
    except pa.ArrowInvalid:
        pass
    return _cast_where(_unsigned_plus(text), pc.match_substring_regex(text, INT_SHAPE), pa.int64())


def parse_timestamps(text: Values) -> Values:
    """ISO 8601 strings → timestamp[us, UTC]; null for anything else, impossible dates included."""
    # Arrow's own ISO 8601 cast (a third of the time of the general way below) takes the values
    # surely real: cast at once. A batch's other values (29 February, no zone, null, nonsense)
    # are decided apart, so one of them no longer sends the whole batch the general way.
    text = _plain(text)
    sure = pc.fill_null(pc.match_substring_regex(text, TS_SURE), FALSE)
    try:
        cast = _cast_where(text, sure, UTC_TS)
    except pa.ArrowInvalid:  # a value Arrow reads otherwise than this file thinks: all decided
        return _parse_any(text)
    rest = pc.invert(sure)
    if not pc.any(rest).as_py():
        return cast
    return pc.replace_with_mask(cast, rest, _parse_any(text.filter(rest)))


def _parse_any(text: Values) -> Values:
    """parse_timestamps of values that may be impossible dates or have no zone."""
    shaped = pc.fill_null(pc.match_substring_regex(text, TS_SHAPE), FALSE)
    try:
        # Arrow's cast takes every well-shaped value with a zone; it refuses impossible dates
        # and values without a zone, and then the general way decides, value by value.
        return _cast_where(text, shaped, UTC_TS)
    except pa.ArrowInvalid:
        return _parse_shaped(text, shaped)


def _plain(text: Values) -> pa.Array:
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def parse_dates(text: Values) -> Values:
    """ISO dates (YYYY-MM-DD) → date32; null for anything else, impossible dates included."""
    shaped = pc.fill_null(pc.match_substring_regex(text, DATE_SHAPE), FALSE)
    try:
        return _cast_where(text, shaped, pa.date32())
    except pa.ArrowInvalid:
        naive = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        written_day = _cast_where(pc.utf8_slice_codeunits(text, 8, 10), shaped, pa.int64())
        real = pc.fill_null(pc.and_(shaped, pc.equal(pc.day(naive), written_day)), FALSE)
        return pc.if_else(real, pc.cast(naive, pa.date32()), scalar(None, pa.date32()))


def _parse_shaped(text: Values, shaped: Values) -> Values:
    """parse_timestamps, value by value: zone-less values are UTC, impossible dates null."""
    # Masks on fixed-width arrays, not pc.if_else on strings (ten times slower).
    main = pc.replace_substring(pc.utf8_slice_codeunits(text, 0, 19), " ", "T")
    naive = pc.strptime(main, format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True)
    # strptime rolls 30 February over into 1 March: a real date keeps the day it was written with.
    written_day = _cast_where(pc.utf8_slice_codeunits(main, 8, 10), shaped, pa.int64())
    real = pc.fill_null(pc.and_(shaped, pc.equal(pc.day(naive), written_day)), FALSE)
    naive = pc.if_else(real, naive, scalar(None, naive.type))
    utc_us = pc.cast(naive, pa.int64())
    rest = pc.utf8_slice_codeunits(text, 19)
    plain = pc.or_(pc.invert(shaped), pc.fill_null(pc.is_in(rest, array(["", "Z"])), TRUE))
    if pc.all(plain).as_py():
        return pc.cast(utc_us, UTC_TS)  # the common case: whole seconds in UTC
    fraction = pc.struct_field(pc.extract_regex(rest, r"^\.(?P<f>\d{1,6})"), [0])
    micros = pc.fill_null(pc.cast(pc.utf8_rpad(fraction, width=6, padding="0"), pa.int64()), ZERO)
    zone = pc.extract_regex(rest, r"(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})$")
    minutes = pc.add(
        pc.multiply(pc.cast(pc.struct_field(zone, [1]), pa.int64()), scalar(60)),
        pc.cast(pc.struct_field(zone, [2]), pa.int64()),
    )
    sign = pc.if_else(pc.equal(pc.struct_field(zone, [0]), scalar("-")), scalar(-1), scalar(1))
    offset_us = pc.fill_null(pc.multiply(pc.multiply(minutes, sign), scalar(60_000_000)), ZERO)
    utc_us = pc.subtract(pc.add(utc_us, micros), offset_us)
    return pc.cast(utc_us, UTC_TS)


def _cast_where(text: Values, ok: Values, to: pa.DataType) -> pa.Array:
    """Cast the values where `ok` holds, null elsewhere (a plain cast stops at a bad one)."""
    ok = pc.fill_null(ok, FALSE)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if isinstance(ok, pa.ChunkedArray):
        ok = ok.combine_chunks()
    if ok.true_count == len(ok):
        return pc.cast(text, to)  # the common batch: no filter and no mask to pay for
    values = pc.cast(text.filter(ok), to)
    return pc.replace_with_mask(pa.nulls(len(text), to), ok, values)


def _unsigned_plus(text: Values) -> Values:
    """Arrow's casts refuse a leading '+': drop it (the regex only runs when one is there)."""
    if not pc.any(pc.starts_with(text, "+")).as_py():
        return text
    return pc.replace_substring_regex(text, r"^\+", "")
