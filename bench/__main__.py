"""`python -m bench`: lakeconsole against the floor, the naive pandas pipeline and the peers
(polars, DuckDB), interleaved over --rounds, then the console figures. Results go to
bench/results/<timestamp>.json and .md (README: Performance)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import console, peers, pipeline, rounds
from bench.landing import CACHE, landing_files
from bench.report import machine, verdicts, write_results
from bench.target import DEFAULT, Target, shipped, target
from bench.targets import issue18

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark lakeconsole's pipeline against the floor (pyarrow CSV → one "
        "parquet file), a minimal three-layer pipeline (appends and casts only), a naive "
        "pandas pipeline and the peers (polars and DuckDB pipelines giving the same tables), "
        "in interleaved rounds, then the console's figures.",
        epilog="examples:\n  python -m bench                     1M and 10M rows, everything\n"
        "  python -m bench --rows 1000000      one size\n"
        "  python -m bench --rounds 3          the issue's figures: min of 3 interleaved rounds\n"
        "  python -m bench --skip-naive        when the naive run would need too much memory\n"
        "  python -m bench --pipeline events   the events pipeline's JSON lines instead\n"
        "  python -m bench --quick             a small smoke run (seconds)\n"
        "  python -m bench --lake s3 --rows 1000000\n"
        "                                      a run on S3 (moto on 127.0.0.1) beside disk",
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
    p.add_argument(
        "--skip-minimal",
        action="store_true",
        help="do not run the minimal three-layer pipeline (it holds a layer in memory: 2.7 GB "
        "at 10M lines, too much at 100M)",
    )
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
        "--rounds",
        type=int,
        default=1,
        help="interleaved rounds per size, each approach once per round in a rotating order; "
        "the minimum is reported (default 1; 3 for the issue's figures)",
    )
    p.add_argument("--skip-peers", action="store_true", help="do not run the peers")
    p.add_argument(
        "--peers",
        action="store_true",
        help="run the peers under --quick too (they are skipped there otherwise)",
    )
    p.add_argument(
        "--peers-max-rows",
        type=int,
        default=10_000_000,
        help="largest size the peers run at (default 10000000: they need ~8 GB there)",
    )
    p.add_argument(
        "--peers-dir",
        type=Path,
        default=None,
        help=f"the peers folder (default ${peers.DIR_ENV}, else {peers.DEFAULT_DIR})",
    )
    p.add_argument(
        "--peers-python",
        default=None,
        help=f"a python that imports polars, duckdb, deltalake and pyarrow (default "
        f"${peers.PYTHON_ENV}, else {peers.VENV}, created once with pip)",
    )
    p.add_argument(
        "--compare-10m",
        type=Path,
        default=None,
        metavar="RESULTS.json",
        help="a results file with a 10M run, for the 100M targets when 10M is not in --rows",
    )
    p.add_argument(
        "--compare-sales",
        type=Path,
        default=None,
        metavar="RESULTS.json",
        help="a sales results file with a 10M run, for the events pipeline's ratio target",
    )
    p.add_argument(
        "--lake",
        choices=("disk", "s3"),
        default="disk",
        help="s3: time lakeconsole's first and no-op runs on a lake in a bucket of moto's S3 "
        "server (started on 127.0.0.1) beside the same runs on disk, nothing else (bench/s3.py)",
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
    if args.rounds < 1:
        p.error("--rounds wants at least 1")
    args.sizes = sorted(int(r.replace("_", "")) for r in args.rows.split(",") if r.strip())
    if args.quick:
        args.sizes, args.files, args.increment_rows = [20_000], 2, 2_000
        args.history_commits, args.key_presses = 150, 2
    return args


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def lake_settings(args: argparse.Namespace, of: Target) -> dict[str, str]:
    """The scratch projects' .env: the pipeline to run, then the --set settings."""
    return {**of.setting, **args.settings}


def find_peers(args: argparse.Namespace) -> peers.Peers:
    """The peers to run beside lakeconsole, or each one's reason to be skipped."""
    if args.skip_peers:
        return peers.skipped_all("--skip-peers")
    if args.pipeline != DEFAULT:
        return peers.skipped_all(rounds.NOT_FOR["peers"])
    if args.quick and not args.peers:
        return peers.skipped_all("--quick runs no peers unless --peers is given")
    return peers.prepare(peers.folder_of(args.peers_dir), args.peers_python, say)


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
    if args.lake == "s3":
        from bench import s3

        return s3.main(args, say)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "pipeline": args.pipeline,
        "machine": machine(),
        "settings": args.settings,
        "sizes": [],
    }
    found = find_peers(args)
    results["peers"] = found.summary()
    if args.pipeline != DEFAULT:
        results["peers"]["not_applicable"] = rounds.NOT_FOR["peers"]
    rounds.warm_up(found)
    settings = lake_settings(args, target(args.pipeline))
    for rows in args.sizes:
        results["sizes"].append(rounds.bench_size(args, rows, found, settings, say))
    if results["sizes"][-1]["lakeconsole"]["ok"]:
        say(f"incremental ({args.increment_rows:,} rows) and no-op runs")
        results["incremental"] = rounds.bench_increment(args, results["sizes"][-1], found, say)
    for flag, key in (("compare_10m", "compare_10m"), ("compare_sales", "compare_sales")):
        path = getattr(args, flag)
        if path is not None:
            results[key] = {"file": str(path), **json.loads(path.read_text())}
    if not args.skip_console:
        results["console"] = bench_console(args)
    results["load_average_end"] = machine()["load_average"]
    results["targets"] = {k: list(v) for k, v in verdicts(results).items()}
    results["targets_issue18"] = [list(v) for v in issue18(results)]
    # Sales keeps its file names from before --pipeline; another pipeline's name is in its own.
    name = stamp if args.pipeline == DEFAULT else f"{stamp}-{args.pipeline}"
    json_path, md_path = write_results(results, args.out, name)
    print(md_path.read_text())
    say(f"results: {json_path} and {md_path}")
    failed = [
        s
        for s in results["sizes"]
        for a in ("floor", "naive", "lakeconsole", *peers.NAMES)
        if s.get(a) and not s[a]["ok"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
