"""A tiny run of `python -m bench.spark` (a Sail server it starts itself), so it cannot rot.

No timing is asserted: speed is what bench/ measures, not what the suite checks."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_bench_spark_times_both_engines_and_finds_the_same_tables(tmp_path: Path) -> None:
    if importlib.util.find_spec("pysail") is None or importlib.util.find_spec("pyspark") is None:
        pytest.skip("pysail or pyspark-client is not installed (./setup.sh --dev installs both)")
    out, work = tmp_path / "results", tmp_path / "work"
    argv = ["--rows", "3000", "--files", "2", "--out", str(out), "--work", str(work)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.spark", *argv],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [results] = [json.loads(p.read_text()) for p in out.glob("*-spark-sales.json")]
    assert results["local"]["ok"] and results["spark"]["ok"]
    assert set(results["spark"]["engines"].values()) == {
        "local",
        results["spark"]["engines"]["gold_daily_revenue"],
    }
    assert results["spark"]["engines"]["silver_orders"].startswith("spark sc://127.0.0.1:")
    assert set(results["local"]["engines"].values()) == {"local"}
    assert results["same_tables"] and all(results["same_tables"].values())
    assert "| spark |" in done.stdout and "same tables: " in done.stdout
