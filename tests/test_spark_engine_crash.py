"""kill -9 while silver and gold run on a Spark Connect endpoint (a Sail server on 127.0.0.1),
then a re-run there: the same lake as one uninterrupted local run, no leftovers, and a run after
it commits nothing. The block's crash points are the local engine's: only the compute moved."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.leftovers import find_crash_leftovers
from tests.conftest import lakeconsole
from tests.sales_fixtures import snapshot, versions
from tests.sales_tables import TABLES
from tests.spark_fixtures import sail_remote
from tests.test_sales_crash import clean_run, make_lake

__all__ = ["clean_run", "sail_remote"]  # fixtures, used by name


@pytest.mark.slow
@pytest.mark.parametrize(
    "point",
    [
        "silver.after_quarantine:2",  # second batch: quarantine committed, silver not
        "silver.after_merge:1",  # silver committed, the watermark not yet written
        "silver.after_batch:2",  # two batches done and recorded, older ones not
        "gold.after_commit",  # gold committed, its pending dates not yet cleared
    ],
)
def test_a_run_on_sail_killed_at_any_moment_then_rerun_equals_a_clean_local_run(
    point: str, tmp_path: Path, clean_run: dict[str, Any], sail_remote
) -> None:
    env, settings = make_lake(tmp_path)
    env = {**env, "LAKECONSOLE_SPARK_REMOTE": sail_remote}
    killed = lakeconsole(["run"], {**env, "LAKECONSOLE_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    rerun = lakeconsole(["run"], env)

    assert rerun.returncode == 0, rerun.stderr
    assert "(on spark sc://127.0.0.1:" in rerun.stdout
    assert snapshot(settings) == clean_run
    for spec in TABLES.values():
        assert find_crash_leftovers(spec.path(settings.data_dir)) == [], spec.name
    tables = versions(settings)
    assert lakeconsole(["run"], env).returncode == 0
    assert versions(settings) == tables
