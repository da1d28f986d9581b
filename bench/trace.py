"""How long `lakeconsole trace` takes on a big lake: `python -m bench.trace --rows 10000000`.

Builds (once, cached under bench/.cache/work/trace-<rows>) a sales lake from the demo's landing
files with the real CLI, picks a gold row whose order line was re-sent (so the trace finds a
superseded line too), and times the trace: the real CLI in its own process (what a user waits
for, imports included) and the core call in this process (the reads alone), each `--rounds`
times. Target: ≤ 1 s at 10M rows (issue 17).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.lake import cli_argv, cli_env, scratch_home
from bench.landing import CACHE, ensure_cache, landing_files
from bench.measure import run_measured

TARGET_S = 1.0
GOLD = "gold/sales/daily_revenue"


def build_lake(rows: int, files: int) -> Path:
    """The project folder of a lake with `rows` landing rows, run once; reused when complete."""
    ensure_cache()
    home = CACHE / "work" / f"trace-{rows}"
    if (home / ".complete").exists():
        return home
    landing = landing_files(rows, files)
    scratch_home(home, landing)
    done = subprocess.run(cli_argv("run"), env=cli_env(home), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"building the lake failed: {done.stderr.strip()[-400:]}")
    (home / ".complete").write_text("")
    return home


def resent_row(home: Path) -> dict[str, str]:
    """The key of a gold row one of whose order lines was re-sent (a later file replaced it):
    of the latest orders re-sent (what a user checks most), and the same row every time on the
    same lake, so that runs compare one trace."""
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    data = home / "data"
    found = pa.table(
        QueryBuilder()
        .register("b", DeltaTable(str(data / "bronze/sales_orders_raw")))
        .register("s", DeltaTable(str(data / "silver/sales_orders")))
        .execute(
            "SELECT s.order_date, s.region, s.product_id, s.currency FROM s JOIN "
            "(SELECT order_id, line_no FROM b WHERE order_id <> '' GROUP BY order_id, line_no "
            "HAVING count(*) > 1 ORDER BY order_id DESC, line_no DESC LIMIT 50) r "
            "ON s.order_id = r.order_id AND CAST(s.line_no AS VARCHAR) = r.line_no "
            "ORDER BY s.order_date DESC, s.region, s.product_id, s.currency LIMIT 1"
        )
    ).to_pylist()
    if not found:
        raise SystemExit("no re-sent order line in this lake: nothing superseded to trace")
    return {k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in found[0].items()}


def time_cli(home: Path, keys: dict[str, str], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (user + system: steadier than wall on a shared machine)."""
    argv = cli_argv("trace", GOLD, *(f"{k}={v}" for k, v in keys.items()), "--json")
    walls, cpus = [], []
    for _ in range(rounds):
        done = run_measured(argv, env=cli_env(home))
        if done.returncode != 0:
            raise SystemExit(f"trace failed: {done.stderr.strip()[-400:]}")
        walls.append(done.wall_s)
        cpus.append(done.cpu_s)
    return walls, cpus


def time_core(home: Path, keys: dict[str, str], rounds: int) -> tuple[list[float], Any]:
    from lakeconsole.core.lineage.trace import trace_row
    from lakeconsole.core.settings import load_settings

    settings = load_settings(cli_env(home))
    seconds, found = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        found = trace_row(settings, GOLD, keys)
        seconds.append(time.perf_counter() - started)
    return seconds, found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.trace", description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000, help="landing rows (default 1M)")
    p.add_argument("--files", type=int, default=10, help="landing files (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="traces timed each way (default 3)")
    args = p.parse_args(argv)
    home = build_lake(args.rows, args.files)
    keys = resent_row(home)
    load = os.getloadavg()[0]
    cli, cpu = time_cli(home, keys, args.rounds)
    core, found = time_core(home, keys, args.rounds)
    silver = found.silver[0]
    report = {
        "rows": args.rows,
        "gold_row": keys,
        "silver_rows": silver.total,
        "superseded": silver.superseded.num_rows,
        "quarantined": silver.quarantined.num_rows,
        "load_at_start": round(load, 2),
        "cli_wall_s": [round(s, 3) for s in cli],
        "cli_cpu_s": [round(s, 3) for s in cpu],
        "core_s": [round(s, 3) for s in core],
        "cli_median_s": round(statistics.median(cli), 3),
        "cli_cpu_median_s": round(statistics.median(cpu), 3),
        "core_median_s": round(statistics.median(core), 3),
        "target_s": TARGET_S,
        "met": statistics.median(cli) <= TARGET_S,
    }
    print(json.dumps(report, indent=2))
    return 0 if report["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
