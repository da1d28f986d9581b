"""A tiny run of the benchmark harness (`python -m bench --quick`), so it cannot rot.

No timing is asserted here: speed is what bench/ measures, not what the suite checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.console import history_table
from bench.measure import run_measured
from tests.conftest import REPO


def test_quick_bench_writes_results_and_lakeconsole_matches_the_naive_tables(
    tmp_path: Path,
) -> None:
    out, work = tmp_path / "results", tmp_path / "work"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--skip-console",
            "--out",
            str(out),
            "--work",
            str(work),
        ],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [json_file] = out.glob("*.json")
    [md_file] = out.glob("*.md")
    results = json.loads(json_file.read_text())
    assert results["pipeline"] == "sales" and "-" not in json_file.stem.split("T")[-1]
    size = results["sizes"][0]
    assert all(size[a]["ok"] for a in ("floor", "minimal", "naive", "lakeconsole"))
    assert size["lakeconsole"]["layers"].keys() == {"bronze", "silver", "gold"}
    assert size["minimal"]["layers"].keys() == {"bronze", "silver", "gold"}
    assert size["ratios"]["lakeconsole_vs_minimal_wall"] is not None
    assert {t: v["equal"] for t, v in size["same_tables"].items()} == {
        "silver": True,
        "gold": True,
        "quarantine": True,
    }
    assert results["incremental"]["incremental"]["new_versions"] > 0
    assert results["incremental"]["noop"]["new_versions"] == 0
    assert results["machine"]["cores"] >= 1 and results["machine"]["memory_gib"] > 0
    text = md_file.read_text()
    assert "| lakeconsole | silver |" in text and "## Targets (issue 9)" in text
    assert "| minimal | silver |" in text
    assert "silver equal" in text


def test_quick_bench_of_the_events_pipeline_runs_its_json_lines_and_says_so(
    tmp_path: Path,
) -> None:
    out, work = tmp_path / "results", tmp_path / "work"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--pipeline",
            "events",
            "--quick",
            "--skip-console",
            "--out",
            str(out),
            "--work",
            str(work),
        ],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [json_file] = out.glob("*-events.json")
    [md_file] = out.glob("*-events.md")
    results = json.loads(json_file.read_text())
    assert results["pipeline"] == "events"
    size = results["sizes"][0]
    # The events pipeline ran (its steps), on every demo line: floor and lakeconsole agree.
    assert size["floor"]["ok"] and size["lakeconsole"]["ok"]
    assert "bronze_events" in size["lakeconsole"]["steps"]
    assert size["lakeconsole"]["layers"].keys() == {"bronze", "silver", "gold"}
    assert "read_json" in size["floor"]["method"]
    assert set(size["not_applicable"]) == {"minimal", "naive"}
    assert "minimal" not in size and "naive" not in size
    assert results["incremental"]["incremental"]["new_versions"] > 0
    assert results["incremental"]["noop"]["new_versions"] == 0
    text = md_file.read_text()
    assert "Pipeline: events." in text and "| lakeconsole | silver |" in text
    assert "minimal: n/a for this pipeline: " in text and "Floor: pyarrow.json" in text


def test_peak_memory_is_the_measured_process_own(tmp_path: Path) -> None:
    m = run_measured([sys.executable, "-c", "x = bytearray(150_000_000); print('done')"])
    assert m.returncode == 0 and m.stdout.strip() == "done"
    assert m.peak_rss_mb >= 140


@pytest.mark.slow
def test_history_table_has_every_commit_and_reads_as_delta(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    from lakeconsole.core.explorer.history import history_page

    path = history_table(150)
    page = history_page(path, limit=10)
    assert page.latest == 149 and [c.version for c in page.commits][:2] == [149, 148]
    assert all(c.operation == "WRITE" for c in page.commits)
    assert DeltaTable(str(path)).version() == 149
