"""core.arrow builds the arrays pyarrow's own constructors build, without importing pandas, and an
ingesting `lakeconsole run` leaves pandas out of the process (issue 18: 0.3-0.4 s a run)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from lakeconsole.core import arrow
from tests.conftest import REPO, Shipped

UTC_US = pa.timestamp("us", tz="UTC")


def python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "values",
    [
        np.arange(5, dtype=np.int64),
        np.arange(5, dtype=np.int32),
        np.linspace(0, 1, 4),
        np.array([True, False, True, True, False, False, True, False, True]),
        np.array(["2024-03-01T10:00:00", "1969-12-31T23:59:59"], dtype="datetime64[s]"),
        np.array(["a", "bc"]),
        np.zeros(0, dtype=np.int64),
    ],
)
def test_from_numpy_is_pa_array(values: np.ndarray) -> None:
    assert arrow.from_numpy(values).equals(pa.array(values))


def test_from_numpy_casts_and_masks() -> None:
    valid = np.array([True, False, True])
    got = arrow.from_numpy(np.array([1, 2, 3], dtype=np.int32), pa.int64(), valid=valid)
    assert got.equals(pa.array([1, None, 3], pa.int64()))
    # A view (not contiguous) is copied, not read with the wrong stride.
    assert arrow.from_numpy(np.arange(10)[::3]).to_pylist() == [0, 3, 6, 9]


@pytest.mark.parametrize(
    ("values", "type"),
    [
        (["a", None, "ccc", ""], None),
        (["é", "x"], pa.large_string()),
        ([1, None, -3], None),
        ([1, 2], pa.int32()),
        ([1.5, None, 2], None),
        ([True, None, False], None),
        ([Decimal("1.25"), None], pa.decimal128(10, 2)),
        ([dt.datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC), None], UTC_US),
        ([dt.datetime(2024, 3, 1, 10, 0, 0)], pa.timestamp("s")),
        ([dt.datetime(1960, 1, 1, tzinfo=dt.UTC)], pa.timestamp("ms", tz="UTC")),
        ([dt.date(2024, 2, 29)], pa.date32()),
        ([None, None], pa.string()),
        ([], pa.int64()),
    ],
)
def test_array_is_pa_array(values: list[Any], type: pa.DataType | None) -> None:
    assert arrow.array(values, type).equals(pa.array(values, type))


def test_scalar_refuses_what_does_not_fit_the_type() -> None:
    """numpy would truncate 1.5 to 1 and wrap 2**70: a rule's bound must not change that way."""
    for value in (1.5, 2**70, "x", True):
        with pytest.raises((pa.ArrowInvalid, TypeError)):
            arrow.scalar(value, pa.int64())
    assert arrow.scalar(1, pa.decimal128(5, 2)) == pa.scalar(Decimal("1.00"), pa.decimal128(5, 2))
    assert arrow.scalar(None, pa.date32()) == pa.scalar(None, pa.date32())
    assert arrow.scalar("x") == pa.scalar("x")


def test_constant_empty_table_stream_and_to_numpy() -> None:
    assert arrow.constant("run-1", 3).equals(pa.array(["run-1"] * 3))
    assert arrow.constant(7, 2, pa.int16()).equals(pa.array([7, 7], pa.int16()))
    schema = pa.schema([pa.field("a", pa.int64()), pa.field("b", pa.string())])
    assert arrow.empty_table(schema).equals(schema.empty_table())
    table = pa.table({"a": [1, 2]})
    assert arrow.from_stream(table).equals(table)
    chunked = pa.chunked_array([[1, 2, 3], [4, 5]]).slice(1)
    assert arrow.to_numpy(chunked).tolist() == [2, 3, 4, 5]
    assert arrow.to_numpy(pa.array([True, False, True]).slice(1)).tolist() == [False, True]
    with pytest.raises(ValueError, match="nulls"):
        arrow.to_numpy(pa.array([1, None]))


def test_the_helpers_never_import_pandas() -> None:
    code = (
        "import sys, datetime as dt, numpy as np, pyarrow as pa\n"
        "from lakeconsole.core import arrow as A\n"
        "A.from_numpy(np.arange(3)); A.from_numpy(np.ones(3, bool)); A.strings(['a', None])\n"
        "A.array([1, None]); A.array([1.5]); A.array([True]); A.scalar('x'); A.constant('r', 4)\n"
        "A.array([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)], pa.timestamp('us', tz='UTC'))\n"
        "A.to_numpy(A.from_numpy(np.arange(3))); A.empty_table(pa.schema([('a', pa.int64())]))\n"
        "print('pandas' in sys.modules)"
    )
    assert python(code) == "False"


def test_keep_pandas_out_answers_the_probe_and_rearms_on_a_real_import() -> None:
    """After it, what used to import pandas does not (a group_by imports pyarrow.dataset, whose
    module probes); once anything imports pandas, pyarrow treats pandas objects as such again
    (a Series' NaN is a null, as without the probe answered)."""
    code = (
        "import sys, pyarrow as pa, pyarrow.compute as pc\n"
        "from lakeconsole.core.arrow import keep_pandas_out\n"
        "keep_pandas_out(); keep_pandas_out()\n"
        "t = pa.table({'k': [1, 1, 2], 'v': [1, 2, 3]})\n"
        "t.group_by('k').aggregate([('v', 'sum')]); pc.equal(t['k'], 1); pa.array([1, 2])\n"
        "print('pandas' in sys.modules)\n"
        "import pandas as pd\n"
        "print(pa.array(pd.Series([1.0, float('nan')])).null_count, t.to_pandas().shape)"
    )
    assert python(code).splitlines() == ["False", "1 (3, 2)"]


RUN_IN_PROCESS = (
    "import sys\n"
    "from lakeconsole.cli.main import main\n"
    "code = main(['run', '--quiet'])\n"
    "print('pandas' in sys.modules, code)"
)


def test_an_ingesting_run_leaves_pandas_out(shipped: Shipped) -> None:
    """A first run and an incremental one (one more file), of each shipped pipeline: neither
    imports pandas (bronze, silver's cleaning and MERGE, gold's group_by)."""
    shipped.write_demo(rows=3_000, files=2, seed=7)
    assert python(RUN_IN_PROCESS, shipped.env).splitlines()[-1] == "False 0"
    before = shipped.versions()
    prefix = {"sales": "increment", "events": "events_increment"}[shipped.name]  # landing globs
    shipped.write_demo(rows=500, files=1, seed=7, after=3_000, prefix=prefix)
    assert python(RUN_IN_PROCESS, shipped.env).splitlines()[-1] == "False 0"
    after = shipped.versions()
    written = {n for n in after if after[n] > before.get(n, -1)}
    assert {n.split("/")[0] for n in written} >= {"bronze", "silver", "gold"}, written


def test_a_number_given_for_a_string_column_is_a_type_error_as_pyarrow_says() -> None:
    """cleaning's one_of falls back to a cast on TypeError: `one_of(1, 2)` on a text column."""
    from lakeconsole.core.arrow import array

    with pytest.raises(TypeError):
        array([1, 2], pa.string())
