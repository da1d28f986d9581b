"""`python -m bench`: lakeconsole against the floor and the naive pandas pipeline, then the
console figures. Results go to bench/results/<timestamp>.json and .md (README: Performance)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import console, pipeline
from bench.landing import CACHE, landing_files
from bench.report import machine, verdicts, write_results
from bench.target import DEFAULT, Target, shipped, target

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark lakeconsole's pipeline against the floor (pyarrow CSV → one "
        "parquet file), a minimal three-layer pipeline (appends and casts only) and a naive "
        "pandas pipeline, then the console's figures.",
        epilog="examples:\n  python -m bench                     1M and 10M rows, everything\n"
        "  python -m bench --rows 1000000      one size\n"
        "  python -m bench --skip-naive        when the naive run would need too much memory\n"
        "  python -m bench --pipeline events   the events pipeline's JSON lines instead\n"
        "  python -m bench --quick             a small smoke run (seconds)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--rows",
        default="1000000,10000000",
        help="comma-separated landing sizes in rows (default 1000000,10000000)",
    )
    p.add_argument(
        "--pipeline",
        default=DEFAULT,
        choices=shipped(),
        help=f"the shipped pipeline to run, on its demo generator's files (default {DEFAULT})",
    )
    p.add_argument("--files", type=int, default=10, help="landing files per size (default 10)")
    p.add_argument("--seed", type=int, default=7, help="demo generator seed (default 7)")
    p.add_argument(
        "--out",
        type=Path,
        default=HERE / "results",
        help="folder for the results (default bench/results)",
    )
    p.add_argument(
        "--work",
        type=Path,
        default=CACHE / "work",
        help="scratch folder for the lakes (default bench/.cache/work)",
    )
    p.add_argument("--skip-naive", action="store_true", help="do not run the naive reference")
    p.add_argument("--skip-console", action="store_true", help="do not measure the console")
    p.add_argument(
        "--increment-rows",
        type=int,
        default=100_000,
        help="rows of the extra file for the incremental run (default 100000)",
    )
    p.add_argument(
        "--history-commits",
        type=int,
        default=10_000,
        help="commits of the table whose history is opened (default 10000)",
    )
    p.add_argument(
        "--key-presses",
        type=int,
        default=15,
        help="help-open/close pairs timed during a run (default 15)",
    )
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for lakeconsole's runs, written into the scratch .env (repeatable), "
        "e.g. --set SILVER_BATCH_ROWS=250000",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes everywhere: checks the harness works, not the speed",
    )
    args = p.parse_args(argv)
    bad = [s for s in args.settings if "=" not in s]
    if bad:
        p.error(f"--set wants KEY=VALUE, not {bad[0]!r}")
    args.settings = dict(s.split("=", 1) for s in args.settings)
    args.sizes = sorted(int(r.replace("_", "")) for r in args.rows.split(",") if r.strip())
    if args.quick:
        args.sizes, args.files, args.increment_rows = [20_000], 2, 2_000
        args.history_commits, args.key_presses = 150, 2
    return args


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# Why the two references written for the sales CSVs do not run on another pipeline.
NOT_FOR = {
    "minimal": "bench/minimal.py casts the sales CSV columns to sales's silver types in SQL "
    "written for them and groups them into sales's gold; it is not generic",
    "naive": "bench/naive.py is the runbook's pandas pipeline for the sales CSVs (its 13 "
    "sales rules, its gold, bench/compare.py's sales tables); it is not generic",
}


def lake_settings(args: argparse.Namespace, of: Target) -> dict[str, str]:
    """The scratch projects' .env: the pipeline to run, then the --set settings."""
    return {**of.setting, **args.settings}


def bench_size(args: argparse.Namespace, rows: int) -> dict[str, Any]:
    """Floor, naive and lakeconsole on the same landing files of `rows` rows."""
    of = target(args.pipeline)
    say(f"{rows:,} rows: {of.name} landing files (cached after the first time)")
    landing = landing_files(rows, args.files, args.seed, of.name)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    size: dict[str, Any] = {"rows": rows, "files": args.files}
    say(f"{rows:,} rows: floor")
    size["floor"] = pipeline.run_floor(landing, work, of)
    generic = of.name == DEFAULT  # minimal and naive are written for sales alone
    if generic:
        say(f"{rows:,} rows: minimal three-layer pipeline")
        size["minimal"] = pipeline.run_minimal(landing, work)
    else:
        size["not_applicable"] = {"minimal": NOT_FOR["minimal"]}
    naive_data = None
    if not args.skip_naive and generic:
        say(f"{rows:,} rows: naive pandas pipeline")
        size["naive"], naive_data = pipeline.run_naive(landing, work)
    elif not args.skip_naive:
        size["not_applicable"]["naive"] = NOT_FOR["naive"]
    say(f"{rows:,} rows: lakeconsole run")
    size["lakeconsole"], lake_data = pipeline.run_lakeconsole(
        landing, work, lake_settings(args, of)
    )
    if naive_data is not None and size["naive"]["ok"] and size["lakeconsole"]["ok"]:
        say(f"{rows:,} rows: comparing tables")
        size["same_tables"] = pipeline.compare(lake_data, naive_data)
    if naive_data is not None:
        shutil.rmtree(naive_data, ignore_errors=True)
    lc, fl, nv = size["lakeconsole"], size["floor"], size.get("naive") or {}
    mn = size.get("minimal") or {}
    size["ratios"] = {
        "minimal_vs_floor_wall": pipeline.ratio(mn.get("wall_s"), fl["wall_s"]),
        "lakeconsole_vs_minimal_wall": pipeline.ratio(lc["wall_s"], mn.get("wall_s")),
        "lakeconsole_vs_floor_wall": pipeline.ratio(lc["wall_s"], fl["wall_s"]),
        "lakeconsole_vs_floor_cpu": pipeline.ratio(lc["cpu_s"], fl["cpu_s"]),
        "lakeconsole_vs_naive_wall": pipeline.ratio(lc["wall_s"], nv.get("wall_s")),
        "lakeconsole_vs_naive_cpu": pipeline.ratio(lc["cpu_s"], nv.get("cpu_s")),
    }
    say(
        f"{rows:,} rows: floor {fl['wall_s']:.1f} s, naive {nv.get('wall_s', '-')} s, "
        f"lakeconsole {lc['wall_s']:.1f} s, {lc['peak_rss_mb']:.0f} MB"
    )
    return size


def bench_console(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    home = args.work / "lakeconsole"  # the largest lake, with its run history
    say("console: cold start")
    of = target(args.pipeline)
    out["cold_start"] = console.cold_start(
        home, repeats=1 if args.quick else 5, first_step=of.first_step
    )
    say("console: key to screen update during a run")
    # The largest landing set: its run lasts long enough for every timed key to fall in it
    # (the probe cancels the run when it is done).
    keys_home = args.work / "console-keys"
    pipeline.scratch_home(
        keys_home,
        landing_files(args.sizes[-1], args.files, args.seed, of.name),
        lake_settings(args, of),
    )
    out["keys"] = console.key_latency(keys_home, args.key_presses)
    say(f"console: history of a {args.history_commits:,}-commit table")
    out["history"] = console.history_open(console.history_table(args.history_commits))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "pipeline": args.pipeline,
        "machine": machine(),
        "settings": args.settings,
        "sizes": [],
    }
    for rows in args.sizes:
        results["sizes"].append(bench_size(args, rows))
    if results["sizes"][-1]["lakeconsole"]["ok"]:
        say(f"incremental ({args.increment_rows:,} rows) and no-op runs")
        inc = pipeline.incremental_and_noop(
            args.work, args.sizes[-1], args.increment_rows, args.seed, args.pipeline
        )
        results["incremental"] = {"lake_rows": args.sizes[-1], **inc}
    if not args.skip_console:
        results["console"] = bench_console(args)
    results["load_average_end"] = machine()["load_average"]
    results["targets"] = {k: list(v) for k, v in verdicts(results).items()}
    # Sales keeps its file names from before --pipeline; another pipeline's name is in its own.
    name = stamp if args.pipeline == DEFAULT else f"{stamp}-{args.pipeline}"
    json_path, md_path = write_results(results, args.out, name)
    print(md_path.read_text())
    say(f"results: {json_path} and {md_path}")
    failed = [
        s
        for s in results["sizes"]
        for a in ("floor", "naive", "lakeconsole")
        if s.get(a) and not s[a]["ok"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
