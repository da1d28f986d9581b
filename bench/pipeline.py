"""One run of each approach on one set of landing files, measured: floor, minimal, naive and
lakeconsole (bench/rounds.py interleaves them with the peers)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.lake import REPO, cli_argv, cli_env, scratch_home

__all__ = ["scratch_home"]
from bench.measure import Measured, run_measured
from bench.target import DEFAULT, Target


def approach_figures(
    m: Measured, rows: int, layers: dict[str, tuple[float, float]]
) -> dict[str, Any]:
    """Wall, CPU, peak RSS and rows/s of one process, and the same per layer from its times."""
    out: dict[str, Any] = {
        "ok": m.returncode == 0,
        "wall_s": round(m.wall_s, 3),
        "cpu_s": round(m.cpu_s, 3),
        "peak_rss_mb": round(m.peak_rss_mb, 1),
        "rows_per_s": round(rows / m.wall_s) if m.wall_s else None,
        "layers": {},
    }
    for name, (start, end) in layers.items():
        peak = m.peak_between(start, end)
        out["layers"][name] = {
            "wall_s": round(end - start, 3),
            "peak_rss_mb": round(peak, 1) if peak is not None else None,
            "rows_per_s": round(rows / (end - start)) if end > start else None,
        }
    if m.returncode != 0:
        out["error"] = m.stderr.strip().splitlines()[-1:] or [f"exit {m.returncode}"]
    return out


def run_floor(landing: Path, work: Path, of: Target | None = None) -> dict[str, Any]:
    """The floor on `of`'s landing files (default: sales's CSVs). For JSON lines a probe first
    asks, in its own process, whether pyarrow.json.read_json reads them (bench/floor.py)."""
    out = work / "floor.parquet"
    floor = [sys.executable, "-m", "bench.floor"]
    pattern = of.pattern if of else "*.csv"
    how: dict[str, Any] = {}
    if of is not None and of.format == "jsonl":
        how = _json_line(run_measured([*floor, "probe", str(landing), pattern]).stdout)
    argv = [*floor, str(landing), str(out)]
    if of is not None and of.name != DEFAULT:
        argv += [pattern, str(how.get("json_as", "json"))]
    m = run_measured(argv, cwd=str(REPO))
    report = _json_line(m.stdout)
    out.unlink(missing_ok=True)
    rows = int(report.get("rows", 0))
    figures = approach_figures(m, rows, _layers(report))
    if how.get("method"):
        figures["method"] = how["method"]
    return figures


def run_minimal(landing: Path, work: Path) -> dict[str, Any]:
    """The minimal three-layer pipeline (bench/minimal.py) on a scratch folder, then removed."""
    data = work / "minimal"
    shutil.rmtree(data, ignore_errors=True)
    m = run_measured(
        [sys.executable, "-m", "bench.minimal", str(landing), str(data)], cwd=str(REPO)
    )
    report = _json_line(m.stdout)
    shutil.rmtree(data, ignore_errors=True)
    return approach_figures(m, int(report.get("rows", 0)), _layers(report))


def run_naive(landing: Path, work: Path) -> tuple[dict[str, Any], Path]:
    data = work / "naive"
    shutil.rmtree(data, ignore_errors=True)
    m = run_measured([sys.executable, "-m", "bench.naive", str(landing), str(data)], cwd=str(REPO))
    report = _json_line(m.stdout)
    return approach_figures(m, int(report.get("rows", 0)), _layers(report)), data


def run_lakeconsole(
    landing: Path, work: Path, settings: dict[str, str] | None = None
) -> tuple[dict[str, Any], Path]:
    """A first run of `lakeconsole run` on a fresh lake holding every landing file."""
    home = work / "lakeconsole"
    data = scratch_home(home, landing, settings)
    figures, _ = lakeconsole_run(home)
    return figures, data


def lakeconsole_run(home: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """`lakeconsole run --json` once, measured; the figures and the run record."""
    m = run_measured(cli_argv("run", "--json"), env=cli_env(home), cwd=str(REPO))
    record = _json_line(m.stdout)
    layers = {
        s["layer"]: (s["started_at"], s["ended_at"])
        for s in record.get("steps", [])
        if s.get("started_at") and s.get("ended_at")
    }
    rows = int(record.get("records_processed", 0))
    figures = approach_figures(m, rows, layers)
    figures["status"] = record.get("status", "no run record")
    if record.get("status") != "succeeded":
        figures["ok"] = False
        figures["error"] = record.get("error") or figures.get("error")
    figures["latency_s"] = record.get("latency_s")
    figures["steps"] = {s["name"]: s.get("details", {}) for s in record.get("steps", [])}
    return figures, record


def compare(ours: Path, naive: Path) -> dict[str, Any]:
    m = run_measured([sys.executable, "-m", "bench.compare", str(ours), str(naive)], cwd=str(REPO))
    if m.returncode != 0:
        return {"error": (m.stderr.strip().splitlines() or ["failed"])[-1]}
    return _json_line(m.stdout)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _layers(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {k: (float(v[0]), float(v[1])) for k, v in report.get("layers", {}).items()}


def _json_line(stdout: str) -> dict[str, Any]:
    """The last line of the output that parses as a JSON object (the CLI prints one object)."""
    text = stdout.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                return parsed
        except ValueError:
            pass
    for line in reversed(text.splitlines()):
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return {}
