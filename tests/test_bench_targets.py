"""Issue 18's targets table from results (bench/targets.py): which rows appear, what is met.

Synthetic figures, no run: the verdict logic alone. No speed of this machine is asserted."""

from __future__ import annotations

from typing import Any

from bench.rounds import best, rotate
from bench.targets import issue18


def _run(wall: float, rss: float = 1000.0, ok: bool = True) -> dict[str, Any]:
    return {"ok": ok, "wall_s": wall, "cpu_s": wall, "peak_rss_mb": rss, "new_versions": 0}


def _size(rows: int, lc: float, floor: float, rss: float = 1000.0) -> dict[str, Any]:
    return {
        "rows": rows,
        "lakeconsole": _run(lc, rss),
        "floor": _run(floor),
        "polars": _run(lc * 2),
        "ratios": {"lakeconsole_vs_floor_wall": round(lc / floor, 2)},
        "disk_mb": {"lakeconsole": {"lake": 5000.0, "silver": 3000.0}},
    }


def _increment(ours: float, noop: float) -> dict[str, Any]:
    return {
        "lake_rows": 10_000_000,
        "increment_rows": 100_000,
        "incremental": _run(ours),
        "noop": _run(noop),
        "floor": _run(0.5),
        "peers": {p: {"incremental": _run(1.5), "noop": _run(0.45)} for p in ("polars", "duckdb")},
    }


def test_the_100m_targets_use_a_10m_results_file_when_10m_did_not_run() -> None:
    results = {
        "sizes": [_size(100_000_000, lc=200.0, floor=60.0, rss=1050.0)],
        "incremental": _increment(0.9, 0.35),
        "compare_10m": {"sizes": [_size(10_000_000, lc=20.0, floor=8.0, rss=1000.0)]},
    }
    got = {name: (value, met) for name, value, met in issue18(results)}
    growth = got["100M: time ≤ 10.5× the 10M time (10M from --compare-10m)"]
    assert growth == ("10.00× (200.0 s / 20.0 s)", True)
    assert got["100M: peak RSS within 10% of 10M's (10M from --compare-10m)"][1] is True
    assert got["100M: disk use of the lake reported"][1] is True
    assert got["one 100,000-line file into the 10,000,000-line lake: faster than both peers"][1]
    assert got["one 100,000-line file into the 10,000,000-line lake: ≤ 2× its floor"][1] is True
    assert got["no-op re-run: faster than both peers"][1] is True
    assert got["no-op re-run ≤ 0.4 s"][1] is True


def test_unmet_and_unmeasured_targets_say_so() -> None:
    results = {
        "sizes": [_size(1_000_000, lc=5.0, floor=1.0), _size(10_000_000, lc=30.0, floor=8.0)],
        "incremental": _increment(1.6, 0.5),
    }
    results["sizes"][0]["polars"] = _run(4.0)
    got = {name: (value, met) for name, value, met in issue18(results)}
    assert got["1M lines: faster than the polars peer"] == ("5.00 s vs 4.00 s", False)
    assert got["10M lines: ≤ 2.5× the floor"] == ("3.75×", False)
    assert got["10M lines: peak RSS ≤ 1.3 GB (1,331 MB)"][1] is True
    assert got["no-op re-run: faster than both peers"][1] is False
    assert got["one 100,000-line file into the 10,000,000-line lake: ≤ 2× its floor"][1] is False
    results["incremental"]["peers"].pop("duckdb")
    got = {name: (value, met) for name, value, met in issue18(results)}
    assert got["no-op re-run: faster than both peers"] == (
        "not measured: no duckdb peer (see Peers)",
        None,
    )


def test_the_events_ratio_is_compared_with_a_sales_results_file() -> None:
    sales = {"sizes": [_size(10_000_000, lc=30.0, floor=10.0)]}  # 3.0x
    events = {
        "pipeline": "events",
        "sizes": [_size(10_000_000, lc=40.0, floor=10.0)],  # 4.0x: 1.33 of sales's
        "incremental": _increment(1.0, 0.3),
    }
    name = "events at 10M: lakeconsole/floor within 1.5× sales's"
    assert {n: m for n, _, m in issue18(events)}[name] is None
    events["compare_sales"] = sales
    assert {n: m for n, _, m in issue18(events)}[name] is True


def test_rounds_rotate_and_the_fastest_successful_round_is_kept() -> None:
    names = ["floor", "lakeconsole", "polars", "duckdb"]
    assert [rotate(names, r)[0] for r in range(5)] == [*names, "floor"]
    kept = best([_run(3.0), _run(1.0, ok=False), _run(2.0)])
    assert kept["wall_s"] == 2.0 and [r["wall_s"] for r in kept["rounds"]] == [3.0, 1.0, 2.0]
