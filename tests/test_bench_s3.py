"""A tiny run of `python -m bench --lake s3` (moto on 127.0.0.1), so the S3 bench cannot rot.
No timing is asserted: the bench measures speed, the suite checks it still runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backup_fixtures import VENV_BIN
from tests.conftest import REPO


def test_the_s3_bench_runs_both_lakes_to_equal_tables_and_a_noop_rerun(tmp_path: Path) -> None:
    if not (VENV_BIN / "moto_server").exists():
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    out, work = tmp_path / "results", tmp_path / "work"
    argv = [sys.executable, "-m", "bench", "--lake", "s3", "--quick"]
    proc = subprocess.run(
        [*argv, "--out", str(out), "--work", str(work)],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [found] = out.glob("*-s3.json")
    [size] = json.loads(found.read_text())["sizes"]
    assert size["same_row_counts"] and size["disk"]["ok"] and size["s3"]["ok"]
    assert size["disk"]["noop_new_versions"] == size["s3"]["noop_new_versions"] == 0
    assert size["s3"]["tables"]["silver/sales_orders"] > 0
    assert "| 20,000 | s3 |" in proc.stdout
