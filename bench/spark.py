"""`python -m bench.spark`: one first run of a shipped pipeline with silver and gold on a Spark
Connect endpoint (a LakeSail server this starts on 127.0.0.1 unless --remote names one) beside
the same run on the local engine, on the same landing files; then whether both lakes hold the
same silver, quarantine and gold. Results go to bench/results/<timestamp>-spark.json and .md.

    python -m bench.spark                     1M sales lines
    python -m bench.spark --rows 100000       a smaller size
    python -m bench.spark --pipeline events   the events pipeline's JSON lines
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.lake import scratch_home
from bench.landing import CACHE, landing_files
from bench.pipeline import lakeconsole_run
from bench.report import machine
from bench.target import DEFAULT, shipped, target

HERE = Path(__file__).resolve().parent
VOLATILE = {"_ingested_at", "_run_id", "detected_at"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="landing lines (default 1000000)")
    p.add_argument("--files", type=int, default=10, help="landing files (default 10)")
    p.add_argument("--seed", type=int, default=7, help="demo generator seed (default 7)")
    p.add_argument("--pipeline", default=DEFAULT, choices=shipped(), help=f"default {DEFAULT}")
    p.add_argument(
        "--remote",
        default="",
        help="a Spark Connect URL to use instead of starting a local Sail server",
    )
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--work", type=Path, default=CACHE / "work-spark")
    args = p.parse_args(argv)
    args.settings = dict(s.split("=", 1) for s in args.settings)
    return args


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def start_sail(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`sail spark server` on a free port of 127.0.0.1, once it listens."""
    sail = shutil.which("sail", path=str(Path(sys.executable).parent)) or shutil.which("sail")
    if sail is None:
        sys.exit("bench.spark: pysail is not installed (./setup.sh --dev, or pip install pysail)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "sail.log").open("wb")
    argv = [sail, "spark", "server", "--ip", "127.0.0.1", "--port", str(port), "-C", str(folder)]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"sc://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench.spark: sail did not start; see {folder / 'sail.log'}")
            time.sleep(0.1)


def peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident memory so far (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def same_tables(a: Path, b: Path, names: list[str]) -> dict[str, bool]:
    """Whether each table holds the same rows in both lakes (times and run ids aside)."""
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    out = {}
    for name in names:
        tables = []
        for lake in (a, b):
            dt = DeltaTable(str(lake / name))
            t = pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t"))
            t = t.select([c for c in t.column_names if c not in VOLATILE])
            plain = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
            t = t.cast(pa.schema([f.with_type(plain.get(f.type, f.type)) for f in t.schema]))
            tables.append(t.sort_by([(c, "ascending") for c in t.column_names]))
        out[name] = tables[0].equals(tables[1])
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    of = target(args.pipeline)
    say(f"landing: {args.rows:,} {of.name} lines in {args.files} files")
    landing = landing_files(args.rows, args.files, args.seed, of.name)
    server: subprocess.Popen[bytes] | None = None
    remote = args.remote
    if not remote:
        server, remote = start_sail(args.work / "sail")
        say(f"sail spark server on {remote} (pid {server.pid})")
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python -m bench.spark", *(argv or sys.argv[1:])]),
        "pipeline": of.name,
        "rows": args.rows,
        "machine": machine(),
        "remote": "local sail" if server else "given",
    }
    homes = {"local": args.work / "local", "spark": args.work / "spark"}
    try:
        for engine, home in homes.items():
            settings = {**of.setting, **args.settings}
            if engine == "spark":
                settings["LAKECONSOLE_SPARK_REMOTE"] = remote
            scratch_home(home, landing, settings)
            say(f"{engine}: lakeconsole run")
            figures, record = lakeconsole_run(home)
            figures["engines"] = {s["name"]: s.get("engine", "local") for s in record["steps"]}
            results[engine] = figures
        if server is not None:
            results["spark"]["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    tables = [n for n in _table_names(homes["local"] / "data") if not n.startswith("bronze/")]
    results["same_tables"] = same_tables(homes["local"] / "data", homes["spark"] / "data", tables)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-spark-{of.name}"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    text = report(results)
    (args.out / f"{stem}.md").write_text(text)
    print(text)
    ok = all(results[e]["ok"] for e in homes) and all(results["same_tables"].values())
    return 0 if ok else 1


def _table_names(data: Path) -> list[str]:
    from lakeconsole.core.lake import find_tables

    return sorted(str(t.relative_to(data)) for t in find_tables(data))


def report(results: dict[str, Any]) -> str:
    """The figures as a Markdown table: wall, per layer, peak memory, same tables."""
    lines = [
        f"# {results['pipeline']}: {results['rows']:,} lines, silver and gold on Spark Connect "
        "beside the local engine",
        "",
        f"{results['started']} · {results['machine'].get('cores', '?')} cores · "
        f"{results['remote']}",
        "",
        "| engine | wall s | bronze s | silver s | gold s | client peak MB | server peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for engine in ("local", "spark"):
        f = results[engine]
        layer = {k: v["wall_s"] for k, v in f.get("layers", {}).items()}
        lines.append(
            f"| {engine} | {f['wall_s']} | {layer.get('bronze', '-')} | "
            f"{layer.get('silver', '-')} | {layer.get('gold', '-')} | {f['peak_rss_mb']} | "
            f"{f.get('server_peak_rss_mb', '-')} |"
        )
    same = results["same_tables"]
    lines += [
        "",
        "same tables: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
