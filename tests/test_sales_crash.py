"""kill -9 at any moment, then a re-run: the same lake as one uninterrupted run, no leftovers."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.lake import ensure_layout
from lakeconsole.core.leftovers import find_crash_leftovers
from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.pipelines.sales.demo import write_demo
from tests.conftest import lakeconsole
from tests.sales_fixtures import snapshot, versions
from tests.sales_tables import TABLES


def make_lake(root: Path) -> tuple[dict[str, str], Settings]:
    """A project folder like the `home` fixture's, with the demo files in landing."""
    (root / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    ensure_layout(root / "data")
    (root / "logs").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    env["LAKECONSOLE_HOME"] = str(root)
    settings = load_settings(env)
    write_demo(settings.data_dir / "landing", rows=3000, files=3, seed=21)
    return env, settings


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env, settings = make_lake(tmp_path_factory.mktemp("clean"))
    result = lakeconsole(["run"], env)
    assert result.returncode == 0, result.stderr
    return snapshot(settings)


@pytest.mark.slow
@pytest.mark.parametrize(
    "point",
    [
        "bronze.mid_write:2",  # half-way through appending the second file
        "bronze.after_commit:2",  # bronze committed, the ledger not yet written
        "silver.after_quarantine:2",  # second batch: quarantine committed, silver not
        "silver.after_merge:1",  # silver committed, the watermark not yet written
        "silver.after_batch:2",  # two batches (the newest) done and recorded, older ones not
        "gold.after_commit",  # gold committed, its pending dates not yet cleared
    ],
)
def test_a_run_killed_at_any_moment_then_rerun_equals_a_clean_run(
    point: str, tmp_path: Path, clean_run: dict[str, Any]
) -> None:
    env, settings = make_lake(tmp_path)
    killed = lakeconsole(["run"], {**env, "LAKECONSOLE_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    rerun = lakeconsole(["run"], env)

    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(settings) == clean_run
    for spec in TABLES.values():
        assert find_crash_leftovers(spec.path(settings.data_dir)) == [], spec.name
    tables = versions(settings)
    assert lakeconsole(["run"], env).returncode == 0
    assert versions(settings) == tables
