"""Arrow arrays and scalars made without pyarrow's pandas probe.

`pa.array`, `pa.scalar`, `pa.table(<python lists>)`, `Array.to_numpy` and a compute call given a
Python value (`pc.equal(col, "x")`) all first ask pyarrow's pandas shim whether the input is a
pandas object, and the shim's first question imports pandas: 0.3-0.4 s on every run that ingests
a file, for inputs that never were pandas objects. The helpers here build the same arrays from
buffers (numpy's, or bytes made here) and from one another, which never reach that shim.
tests/test_arrow_helpers.py checks each result against pyarrow's own and that pandas stays out.
"""

from __future__ import annotations

import datetime as dt
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

_PRIMED = threading.Lock()


class _RefusePandas:
    """A meta-path finder that makes `import pandas` fail (for the one probe below)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is not needed by this run (lakeconsole.core.arrow)")


class _RearmOnPandas:
    """When anything imports pandas later (a user's transform, a `to_pandas()`), tell pyarrow's
    shim it is there, so `pa.array(series)` converts it as pandas (NaN as null) again."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "pandas":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None  # another finder's pandas (an editable install...): left to it
        # Out of the path once found: removing it while the import system walks sys.meta_path
        # before the lookup could make that walk skip the next finder.
        sys.meta_path.remove(self)
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: object) -> None:
            run(module)  # type: ignore[arg-type]
            _ = pa.lib._pandas_api.pd  # a checked use: the shim imports it again and is armed

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def keep_pandas_out() -> None:
    """Answer pyarrow's "is pandas there?" with no, once, without importing pandas.

    pyarrow asks on the first `pa.array`/`pa.scalar`/compute call with a Python value, and on
    importing pyarrow.dataset (which `Table.group_by`, `Table.join` and filters by expression
    do): 0.3-0.4 s of pandas import on every ingesting run, for a question whose answer a run
    never needs (it builds no pandas objects). Only the probe is refused: a later real use
    (`to_pandas()`, `import pandas` in a transform) imports pandas and re-arms the shim.
    No-op when pandas is already imported."""
    with _PRIMED:
        if "pandas" in sys.modules or any(isinstance(f, _RearmOnPandas) for f in sys.meta_path):
            return
        refuse = _RefusePandas()
        sys.meta_path.insert(0, refuse)
        try:
            pa.array([])  # the probe: pyarrow records "no pandas" and does not ask again
        finally:
            sys.meta_path.remove(refuse)
        sys.meta_path.insert(0, _RearmOnPandas())


# numpy's fixed-width kinds and the Arrow types with the same bytes.
_FIXED: dict[np.dtype[Any], pa.DataType] = {
    np.dtype(np.int8): pa.int8(),
    np.dtype(np.int16): pa.int16(),
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.uint8): pa.uint8(),
    np.dtype(np.uint16): pa.uint16(),
    np.dtype(np.uint32): pa.uint32(),
    np.dtype(np.uint64): pa.uint64(),
    np.dtype(np.float32): pa.float32(),
    np.dtype(np.float64): pa.float64(),
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNIT_US = {"s": 1_000_000, "ms": 1_000, "us": 1}  # ns: via text (timedelta holds us)


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    """Arrow's validity bitmap (least significant bit first) of a bool mask; None: all valid."""
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def from_numpy(
    values: np.ndarray, type: pa.DataType | None = None, valid: np.ndarray | None = None
) -> pa.Array:
    """A 1-D numpy array as Arrow (zero-copy for a contiguous fixed-width one), as `pa.array`
    gives it, then cast to `type` when one is given; `valid` False marks a null."""
    values = np.ascontiguousarray(values)
    n = len(values)
    mask = None if valid is None else np.asarray(valid, dtype=bool)
    if values.dtype == np.bool_:
        bits = pa.py_buffer(np.packbits(values, bitorder="little"))
        out = pa.Array.from_buffers(pa.bool_(), n, [_validity(mask), bits])
    elif values.dtype.kind in "mM":
        unit, _ = np.datetime_data(values.dtype)
        base = pa.timestamp(unit) if values.dtype.kind == "M" else pa.duration(unit)
        data = pa.py_buffer(values.view(np.int64))
        out = pa.Array.from_buffers(base, n, [_validity(mask), data])
    elif values.dtype in _FIXED:
        out = pa.Array.from_buffers(
            _FIXED[values.dtype], n, [_validity(mask), pa.py_buffer(values)]
        )
    elif values.dtype.kind in "OUS":
        items = values.tolist()
        if mask is not None:
            items = [v if ok else None for v, ok in zip(items, mask.tolist(), strict=True)]
        return array(items, type or pa.string())
    else:
        raise TypeError(f"no Arrow array for numpy dtype {values.dtype}")
    return out if type is None or out.type == type else out.cast(type)


def strings(values: Sequence[str | None], type: pa.DataType | None = None) -> pa.Array:
    """Python strings (None: null) as an Arrow string column, cast to `type` if given."""
    encoded = [
        b"" if v is None else v.encode() if isinstance(v, str) else _no_text(v) for v in values
    ]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    big = bool(offsets[-1] >= 2**31)  # int32 offsets hold up to 2 GiB of text
    arrow_type = pa.large_string() if big else pa.string()
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    out = pa.Array.from_buffers(
        arrow_type,
        len(encoded),
        [
            _validity(valid),
            pa.py_buffer(offsets if big else offsets.astype(np.int32)),
            pa.py_buffer(b"".join(encoded)),
        ],
    )
    if type is not None and out.type != type:
        return out.cast(type)
    return out.cast(pa.string()) if big and type is None else out


def _no_text(value: object) -> bytes:
    """As pa.array says of a value that is not text for a string column (callers catch it)."""
    raise TypeError(f"expected a str for a string column, got {type(value).__name__}: {value!r}")


def _as_text(value: Any) -> str:
    """A value as the text Arrow's string cast parses back into its type."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def array(values: Sequence[Any], type: pa.DataType | None = None) -> pa.Array:
    """`pa.array(values, type)` for a Python list of plain values (str, int, float, bool, Decimal,
    date, datetime, None), without the pandas probe. The type is inferred like pyarrow's for
    one kind of value; give `type` for anything else (a mixed list raises TypeError)."""
    values = list(values)
    present = [v for v in values if v is not None]
    if type is None:
        type = _infer(present)
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    if not present:
        return pa.nulls(len(values), type)
    if pa.types.is_string(type) or pa.types.is_large_string(type):
        return strings(values, type)
    if pa.types.is_boolean(type) and all(isinstance(v, bool) for v in present):
        return from_numpy(np.array(_filled(values, False), dtype=bool), valid=valid)
    if _numbers_fit(present, type):
        numbers = np.array(_filled(values, 0), dtype=_numpy_dtype(type))
        return from_numpy(numbers, valid=valid)
    timestamps = pa.types.is_timestamp(type) and type.unit in _UNIT_US
    if timestamps and all(isinstance(v, dt.datetime) for v in present):
        step = dt.timedelta(microseconds=_UNIT_US[type.unit])
        ticks = [0 if v is None else _utc(v) - _EPOCH for v in values]
        data = np.array([t if isinstance(t, int) else t // step for t in ticks], np.int64)
        return pa.Array.from_buffers(type, len(values), [_validity(valid), pa.py_buffer(data)])
    # Decimal, date, ns timestamps...: Arrow's own parser, from the value's text.
    return strings([None if v is None else _as_text(v) for v in values]).cast(type)


def _utc(value: dt.datetime) -> dt.datetime:
    """A naive datetime is UTC wall time, as pyarrow reads it."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _numbers_fit(present: list[Any], type: pa.DataType) -> bool:
    """Whether numpy holds these values in `type` exactly as pyarrow would: ints in range for an
    integer type (numpy would truncate 1.5 and wrap 2**64 where pyarrow refuses), ints and
    floats for a floating one. Anything else goes the strict way, through Arrow's cast."""
    if pa.types.is_floating(type):
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if not pa.types.is_integer(type):
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return False
    info = np.iinfo(_numpy_dtype(type))
    return info.min <= min(present) and max(present) <= info.max


def _filled(values: list[Any], blank: Any) -> list[Any]:
    return [blank if v is None else v for v in values]


def _infer(present: list[Any]) -> pa.DataType:
    kinds = {type(v) for v in present}
    if not kinds:
        return pa.null()
    if kinds <= {bool}:
        return pa.bool_()
    if kinds <= {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds <= {str}:
        return pa.string()
    if kinds <= {Decimal}:
        scales = [-int(d.as_tuple().exponent) for d in present if d.is_finite()]
        return pa.decimal128(38, max(max(scales, default=0), 0))
    if kinds <= {dt.datetime}:
        zones = {v.tzinfo is not None for v in present}
        return pa.timestamp("us", tz="UTC" if zones == {True} else None)
    if kinds <= {dt.date}:
        return pa.date32()
    raise TypeError(f"no Arrow type inferred for {sorted(k.__name__ for k in kinds)}: give one")


def scalar(value: Any, type: pa.DataType | None = None) -> pa.Scalar:
    """`pa.scalar(value, type)` without the pandas probe (a pa.Scalar passes through, cast)."""
    if isinstance(value, pa.Scalar):
        return value if type is None or value.type == type else value.cast(type)
    return array([value], type)[0]


def constant(value: Any, n: int, type: pa.DataType | None = None) -> pa.Array:
    """`n` copies of one value as a plain (not dictionary) column."""
    return pa.repeat(scalar(value, type), n)


def from_stream(data: Any) -> pa.Table:
    """`pa.table(x)` for anything with `__arrow_c_stream__` (delta-rs's arro3 tables and
    readers): `pa.table` first asks whether `x` is a pandas frame."""
    return pa.RecordBatchReader.from_stream(data).read_all()


def empty_table(schema: pa.Schema) -> pa.Table:
    """`schema.empty_table()`, which goes through the pandas probe."""
    return pa.Table.from_batches([], schema)


def to_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A fixed-width column without nulls as numpy (`Array.to_numpy` goes through pyarrow's
    pandas conversion, which imports pandas); bool gives numpy bool."""
    if isinstance(values, pa.ChunkedArray):
        parts = [to_numpy(c) for c in values.chunks]
        return np.concatenate(parts) if parts else np.empty(0, _numpy_dtype(values.type))
    if values.null_count:
        raise ValueError("to_numpy: the column has nulls")
    kind = _numpy_dtype(values.type)
    data = values.buffers()[1]
    if pa.types.is_boolean(values.type):
        bits = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
        unpacked = np.unpackbits(bits, bitorder="little", count=values.offset + len(values))
        return unpacked[values.offset :].astype(bool)
    if data is None:
        return np.empty(0, kind)
    return np.frombuffer(data, dtype=kind, count=len(values), offset=values.offset * kind.itemsize)


def _numpy_dtype(type: pa.DataType) -> np.dtype[Any]:
    if pa.types.is_boolean(type):
        return np.dtype(bool)
    if pa.types.is_timestamp(type):
        unit: np.dtype[Any] = np.dtype(f"datetime64[{type.unit}]")
        return unit
    for kind, arrow_type in _FIXED.items():
        if arrow_type == type:
            return kind
    raise TypeError(f"to_numpy: no numpy view of {type}")


# Compute calls given a Python value convert it with pa.scalar (the pandas probe): pass these.
TRUE: pa.BooleanScalar = scalar(True)
FALSE: pa.BooleanScalar = scalar(False)
ZERO: pa.Int64Scalar = scalar(0)
EMPTY: pa.StringScalar = scalar("")

__all__ = [
    "EMPTY",
    "FALSE",
    "TRUE",
    "ZERO",
    "array",
    "constant",
    "empty_table",
    "from_numpy",
    "from_stream",
    "keep_pandas_out",
    "scalar",
    "strings",
    "to_numpy",
]
