"""A tiny run of the benchmark harness (`python -m bench --quick`), so it cannot rot.

No timing is asserted here: speed is what bench/ measures, not what the suite checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert set(size["not_applicable"]) == {"minimal", "naive", "peers"}
    assert "polars" not in size and results["peers"]["not_applicable"]
    assert "minimal" not in size and "naive" not in size
    assert results["incremental"]["incremental"]["new_versions"] > 0
    assert results["incremental"]["noop"]["new_versions"] == 0
    text = md_file.read_text()
    assert "Pipeline: events." in text and "| lakeconsole | silver |" in text
    assert "minimal: n/a for this pipeline: " in text and "Floor: pyarrow.json" in text
    assert "Peers: not applicable: the peers (peer_polars.py, peer_duckdb.py) are" in text


def test_peak_memory_is_the_measured_process_own(tmp_path: Path) -> None:
    # Held a moment: when the child's peak is below this test process's own, it is read from
    # /proc samples (bench/measure.py), which a peak in its last 20 ms can slip between.
    code = "import time; x = bytearray(150_000_000); time.sleep(0.2); print('done')"
    m = run_measured([sys.executable, "-c", code])
    assert m.returncode == 0 and m.stdout.strip() == "done"
    assert m.peak_rss_mb >= 140


def test_a_small_child_of_a_large_bench_is_not_given_the_bench_peak() -> None:
    held = bytearray(400_000_000)  # the bench after comparing 10M-row tables
    held[::4096] = b"x" * len(held[::4096])  # touched, so resident
    code = "import time; x = bytearray(30_000_000); time.sleep(0.3); print('done')"
    m = run_measured([sys.executable, "-c", code])
    assert m.returncode == 0 and m.stdout.strip() == "done"
    assert 25 <= m.peak_rss_mb < 200, m.peak_rss_mb
    del held


@pytest.mark.slow
def test_history_table_has_every_commit_and_reads_as_delta(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    from lakeconsole.core.explorer.history import history_page

    path = history_table(150)
    page = history_page(path, limit=10)
    assert page.latest == 149 and [c.version for c in page.commits][:2] == [149, 148]
    assert all(c.operation == "WRITE" for c in page.commits)
    assert DeltaTable(str(path)).version() == 149


def _quick(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """`python -m bench --quick --skip-console --skip-naive` with `extra`; results and report."""
    out, work = tmp_path / "results", tmp_path / "work"
    argv = [sys.executable, "-m", "bench", "--quick", "--skip-console", "--skip-naive"]
    proc = subprocess.run(
        [*argv, "--out", str(out), "--work", str(work), *extra],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    [json_file] = out.glob("*.json")
    [md_file] = out.glob("*.md")
    return json.loads(json_file.read_text()), md_file.read_text()


def test_a_missing_peers_folder_skips_the_peers_with_the_reason_and_still_reports(
    tmp_path: Path,
) -> None:
    absent = tmp_path / "no-peers-here"
    results, text = _quick(tmp_path, "--peers", "--peers-dir", str(absent))
    size = results["sizes"][0]
    assert set(size["peers_skipped"]) == {"polars", "duckdb"}
    assert all(str(absent) in why for why in size["peers_skipped"].values())
    assert "polars" not in size and "duckdb" not in size and size["lakeconsole"]["ok"]
    assert f"| polars peer | skipped: the peers folder {absent} does not exist |" in text
    assert "## Targets (issue 18)" in text
    assert "faster than both peers | not measured: no polars, duckdb peer" in text
    assert "PYTHONDONTWRITEBYTECODE" in text


def test_quick_bench_without_peers_flag_skips_them_and_says_why(tmp_path: Path) -> None:
    results, _ = _quick(tmp_path)
    assert "--quick" in results["sizes"][0]["peers_skipped"]["polars"]


def test_peers_are_skipped_above_their_size_limit(tmp_path: Path) -> None:
    from bench.peers import folder_of

    python = _peers_python()
    if python is None or not folder_of(None).is_dir():
        pytest.skip("no peers python or peers folder")
    results, _ = _quick(tmp_path, "--peers", "--peers-python", python, "--peers-max-rows", "10")
    skipped = results["sizes"][0]["peers_skipped"]
    assert set(skipped) == {"polars", "duckdb"} and "--peers-max-rows" in skipped["duckdb"]
    assert "polars" not in results["sizes"][0] and results["incremental"]["peers"] == {}


def test_measured_processes_do_not_inherit_pythondontwritebytecode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    code = "import os, sys; print(sys.dont_write_bytecode, 'PYTHONDONTWRITEBYTECODE' in os.environ)"
    assert run_measured([sys.executable, "-c", code]).stdout.split() == ["False", "False"]
    from bench.lake import cli_env

    assert "PYTHONDONTWRITEBYTECODE" not in cli_env(Path("/nowhere"))


def _peers_python() -> str | None:
    given = os.environ.get("LAKECONSOLE_BENCH_PEERS_PYTHON")
    if given:
        return given
    return "/tmp/peervenv/bin/python" if Path("/tmp/peervenv/bin/python").exists() else None


@pytest.mark.slow
def test_quick_bench_runs_the_peers_in_two_rounds_and_their_tables_equal_lakeconsoles(
    tmp_path: Path,
) -> None:
    from bench.peers import folder_of

    python, folder = _peers_python(), folder_of(None)
    if python is None:
        pytest.skip("no peers python: set LAKECONSOLE_BENCH_PEERS_PYTHON or make /tmp/peervenv")
    if not folder.is_dir():
        pytest.skip(f"no peers folder at {folder}")
    results, text = _quick(tmp_path, "--peers", "--peers-python", python, "--rounds", "2")
    size = results["sizes"][0]
    assert size["peers_skipped"] == {}
    # Each approach ran once per round, in a rotated order.
    assert [len(size[a]["rounds"]) for a in ("floor", "lakeconsole", "polars", "duckdb")] == [2] * 4
    assert size["orders"][1] == size["orders"][0][1:] + size["orders"][0][:1]
    for peer in ("polars", "duckdb"):
        assert size[peer]["ok"] and size[peer]["layers"].keys() == {"bronze", "silver", "gold"}
        assert size[peer]["phases"], "the peer's own phase times are kept"
        assert size["same_as_peers"][peer]["equal"] is True
        assert results["incremental"]["same_as_peers"][peer]["equal"] is True
        inc = results["incremental"]["peers"][peer]
        assert inc["incremental"]["new_versions"] > 0 and inc["noop"]["new_versions"] == 0
        assert size["disk_mb"][peer]["silver"] > 0
    assert size["disk_mb"]["lakeconsole"]["lake"] > 0
    assert results["incremental"]["floor"]["ok"]
    assert results["incremental"]["noop"]["new_versions_per_round"] == [0, 0]
    assert "Same tables as the polars peer after the increment: all equal" in text
    assert "MISMATCH" not in text
    targets = {name: met for name, _, met in results["targets_issue18"]}
    assert any(name.endswith("faster than both peers") for name in targets)
    assert targets["no-op re-run: 0 new versions"] is True
