"""`python -m bench --lake s3`: the same first run and no-op re-run of `lakeconsole run` on a
lake in an S3 bucket (moto's server on 127.0.0.1, started here) and on disk, side by side.

Both lakes get the same cached landing files (on S3 uploaded under `<lake>/landing/` first, not
timed). Measured per lake: wall time, CPU, peak RSS and the layers' times of the first run, the
no-op re-run's wall time and its new versions (0 expected), and each table's row count, which
must be equal. moto keeps the bucket in its own memory: its RSS is not in the figures."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.lake import cli_argv, cli_env, scratch_home
from bench.landing import landing_files, landing_names
from bench.measure import run_measured
from bench.pipeline import lakeconsole_run
from bench.report import machine

BUCKET = "bench"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port with the bench bucket; yields its endpoint."""
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(moto).exists():
        raise SystemExit("bench --lake s3 needs moto's server: pip install 'moto[server]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("moto_server did not start") from None
                time.sleep(0.1)
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT"))
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def s3_home(home: Path, landing: Path, settings: dict[str, str], endpoint: str) -> str:
    """A scratch project whose lake is `s3://bench/<home name>`, its landing files uploaded."""
    from lakeconsole.core.storage import lake_location

    url = f"s3://{BUCKET}/{home.name}"
    env = {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "LAKECONSOLE_DATA_DIR": url}
    scratch_home(home, landing, {**settings, **env})
    shutil.rmtree(home / "data")  # the lake is in the bucket
    lake = lake_location(url, env)
    for path in landing_names(landing):
        (lake / "landing" / path.name).write_bytes(path.read_bytes())
    return url


def table_counts(home: Path) -> dict[str, list[int]]:
    """Each table's [row count, version], through the storage layer (local or S3 alike)."""
    code = (
        "import json\n"
        "from lakeconsole.core.lake import find_tables\n"
        "from lakeconsole.core.settings import load_settings\n"
        "from lakeconsole.core.storage import open_delta, as_location\n"
        "from deltalake import QueryBuilder\n"
        "s = load_settings(check_writable=False)\n"
        "root = as_location(s.lake_root)\n"
        "out = {}\n"
        "for t in find_tables(root):\n"
        "    dt = open_delta(t)\n"
        "    q = QueryBuilder().register('t', dt).execute('SELECT count(*) FROM t')\n"
        "    out[t.relative_to(root)] = [q.read_all().column(0)[0].as_py(), dt.version()]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env(home), capture_output=True, text=True, check=True
    )
    counts: dict[str, list[int]] = json.loads(done.stdout)
    return counts


def bench_lake(home: Path, say: Callable[[str], None], what: str) -> dict[str, Any]:
    """The first run and the no-op re-run on the lake of `home`, measured."""
    say(f"{what}: first run")
    figures, record = lakeconsole_run(home)
    before = table_counts(home)
    say(f"{what}: no-op re-run")
    noop = run_measured(cli_argv("run", "--json"), env=cli_env(home))
    rerun = json.loads(noop.stdout) if noop.stdout.strip().startswith("{") else {}
    after = table_counts(home)
    figures["noop_s"] = round(noop.wall_s, 2)
    figures["noop_records"] = rerun.get("records_processed")
    figures["noop_new_versions"] = sum(v[1] - before.get(t, [0, -1])[1] for t, v in after.items())
    figures["tables"] = {t: v[0] for t, v in after.items()}
    figures["run_id"] = record.get("run_id")
    return figures


def main(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    """Each --rows size on disk and on S3; results in bench/results/<stamp>-s3.json and .md."""
    from bench.target import target

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "pipeline": args.pipeline,
        "sizes": [],
    }
    settings = {**target(args.pipeline).setting, **args.settings}
    with moto_server() as endpoint:
        for rows in args.sizes:
            landing = landing_files(rows, args.files, args.seed, args.pipeline)
            disk_home = args.work / f"disk-{rows}"
            scratch_home(disk_home, landing, settings)
            disk = bench_lake(disk_home, say, f"{rows:,} rows on disk")
            s3_lake = args.work / f"s3-{rows}"
            url = s3_home(s3_lake, landing, settings, endpoint)
            s3 = bench_lake(s3_lake, say, f"{rows:,} rows on {url}")
            results["sizes"].append(
                {
                    "rows": rows,
                    "disk": disk,
                    "s3": s3,
                    "same_row_counts": disk["tables"] == s3["tables"],
                    "s3_vs_disk_wall": round(s3["wall_s"] / disk["wall_s"], 2),
                }
            )
    results["load_average_end"] = machine()["load_average"]
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = args.out / f"{stamp}-s3.json", args.out / f"{stamp}-s3.md"
    json_path.write_text(json.dumps(results, indent=1))
    md_path.write_text(markdown(results))
    print(md_path.read_text())
    say(f"results: {json_path} and {md_path}")
    ok = all(s["disk"]["ok"] and s["s3"]["ok"] and s["same_row_counts"] for s in results["sizes"])
    return 0 if ok else 1


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# lakeconsole on S3 (moto on 127.0.0.1) vs on disk, {results['started']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, deltalake {m['deltalake']}; load "
        f"average at start {m['load_average']}, at end {results.get('load_average_end')}. "
        f"Pipeline: {results['pipeline']}.",
        "",
        "| rows | lake | first run s | CPU s | peak RSS MB | bronze / silver / gold s | "
        "no-op s | no-op new versions | same row counts |",
        "| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for size in results["sizes"]:
        for kind in ("disk", "s3"):
            f = size[kind]
            layers = " / ".join(
                f"{f['layers'][k]['wall_s']:.2f}" if k in f.get("layers", {}) else "-"
                for k in ("bronze", "silver", "gold")
            )
            lines.append(
                f"| {size['rows']:,} | {kind} | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | "
                f"{f['peak_rss_mb']:.0f} | {layers} | {f['noop_s']:.2f} | "
                f"{f['noop_new_versions']} | "
                f"{'yes' if size['same_row_counts'] else 'NO'} |"
            )
    return "\n".join(lines) + "\n"
