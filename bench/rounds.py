"""Interleaved rounds: every approach on the same landing files, in a rotating order, so a busy
moment of a shared machine falls on a different approach each round; the minimum is reported
with every round beside it. Then the increment and no-op re-runs, the same way, on each
approach's own lake of the largest size."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import peers as peer_mod
from bench import pipeline
from bench.lake import REPO, disk_use, link_landing, new_versions, table_versions
from bench.landing import increment_file, landing_files, landing_names
from bench.measure import measured_env
from bench.target import DEFAULT, Target, target

# Why the references written for the sales CSVs do not run on another pipeline.
NOT_FOR = {
    "minimal": "bench/minimal.py casts the sales CSV columns to sales's silver types in SQL "
    "written for them and groups them into sales's gold; it is not generic",
    "naive": "bench/naive.py is the runbook's pandas pipeline for the sales CSVs (its 13 "
    "sales rules, its gold, bench/compare.py's sales tables); it is not generic",
    "peers": "the peers (peer_polars.py, peer_duckdb.py) are written for the sales CSVs alone",
}
KEPT = ("wall_s", "cpu_s", "peak_rss_mb", "ok")


def rotate(names: list[str], r: int) -> list[str]:
    """Round r's order: the list turned by r places."""
    k = r % len(names) if names else 0
    return names[k:] + names[:k]


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest successful round (else the first), with every round's figures beside it."""
    ok = [r for r in runs if r.get("ok")] or runs[:1]
    out = dict(min(ok, key=lambda r: r["wall_s"]))
    out["rounds"] = [{k: r.get(k) for k in KEPT} for r in runs]
    return out


def warm_up(peers: peer_mod.Peers | None) -> None:
    """Byte-compile lakeconsole, the bench and the peers' venv before any round, so the first
    measured run does not pay for it now that PYTHONDONTWRITEBYTECODE is not inherited."""
    import subprocess

    dirs = [str(REPO / d) for d in ("lakeconsole", "core", "cli", "pipelines", "bench")]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *dirs],
        capture_output=True,
        env=measured_env(),
    )
    if peers is not None and peers.python and peers.runnable:
        peer_mod.warm_up(peers.python)


def peer_data(work: Path, name: str) -> Path:
    return work / f"peer-{name}" / "data"


def bench_size(
    args: argparse.Namespace,
    rows: int,
    peers: peer_mod.Peers,
    settings: dict[str, str],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Floor, minimal, naive, lakeconsole and the peers on one landing set, `args.rounds`
    interleaved rounds; tables compared after the first; disk use of each lake at the end."""
    of = target(args.pipeline)
    say(f"{rows:,} rows: {of.name} landing files (cached after the first time)")
    landing = landing_files(rows, args.files, args.seed, of.name)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    size: dict[str, Any] = {"rows": rows, "files": args.files, "rounds": args.rounds}
    generic = of.name == DEFAULT  # minimal, naive and the peers are written for sales alone
    names = ["floor"]
    if generic:
        if not args.skip_minimal:
            names.append("minimal")
        if not args.skip_naive:
            names.append("naive")
    else:
        size["not_applicable"] = {"minimal": NOT_FOR["minimal"]}
        if not args.skip_naive:
            size["not_applicable"]["naive"] = NOT_FOR["naive"]
        if not args.skip_peers:
            size["not_applicable"]["peers"] = NOT_FOR["peers"]
    names.append("lakeconsole")
    if generic and rows > args.peers_max_rows:
        # The peers hold the whole batch in memory (7.8 GB at 10M lines): above the limit
        # they would exhaust the machine's memory, other processes' with it.
        why = f"{rows:,} lines is above --peers-max-rows {args.peers_max_rows:,}"
        size["peers_skipped"] = {**peers.skipped, **{p: why for p in peers.runnable}}
    elif generic:
        names += [p for p in peer_mod.NAMES if p in peers.runnable]
        size["peers_skipped"] = dict(peers.skipped)
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    size["orders"] = []
    naive_data: Path | None = None
    for r in range(args.rounds):
        order = rotate(names, r)
        size["orders"].append(order)
        for name in order:
            say(f"{rows:,} rows, round {r + 1}/{args.rounds}: {name}")
            figures, data = run_one(name, landing, work, of, settings, peers, rows)
            runs[name].append(figures)
            if name == "naive":
                if r == 0:
                    naive_data = data
                elif data is not None:
                    shutil.rmtree(data, ignore_errors=True)
        if r == 0:
            compare_first_round(size, runs, naive_data, peers, work, say, rows)
            if naive_data is not None:
                shutil.rmtree(naive_data, ignore_errors=True)
    for name, done in runs.items():
        size[name] = best(done)
    size["disk_mb"] = {
        name: _mb(disk_use(data))
        for name, data in [("lakeconsole", work / "lakeconsole" / "data")]
        + [(p, peer_data(work, p)) for p in names if p in peer_mod.NAMES]
        if data.is_dir()
    }
    size["ratios"] = ratios(size)
    lc, fl = size["lakeconsole"], size["floor"]
    say(
        f"{rows:,} rows: floor {fl['wall_s']:.1f} s, lakeconsole {lc['wall_s']:.1f} s "
        f"({lc['peak_rss_mb']:.0f} MB)"
        + "".join(f", {p} {size[p]['wall_s']:.1f} s" for p in peer_mod.NAMES if p in size)
    )
    return size


def run_one(
    name: str,
    landing: Path,
    work: Path,
    of: Target,
    settings: dict[str, str],
    peers: peer_mod.Peers,
    rows: int,
) -> tuple[dict[str, Any], Path | None]:
    """One approach once, on a fresh lake; its figures and the lake it left (if any)."""
    if name == "floor":
        return pipeline.run_floor(landing, work, of), None
    if name == "minimal":
        return pipeline.run_minimal(landing, work), None
    if name == "naive":
        return pipeline.run_naive(landing, work)
    if name == "lakeconsole":
        return pipeline.run_lakeconsole(landing, work, settings)
    data = peer_data(work, name)
    shutil.rmtree(data.parent, ignore_errors=True)
    link_landing(landing_names(landing), data / "landing")
    assert peers.python is not None
    return peer_mod.run_peer(peers.python, peers.runnable[name], data, rows), data


def compare_first_round(
    size: dict[str, Any],
    runs: dict[str, list[dict[str, Any]]],
    naive_data: Path | None,
    peers: peer_mod.Peers,
    work: Path,
    say: Callable[[str], None],
    rows: int,
) -> None:
    """lakeconsole's tables against the naive reference's and each peer's, after round one."""
    ours = work / "lakeconsole" / "data"
    if not runs["lakeconsole"][0]["ok"]:
        return
    if naive_data is not None and runs["naive"][0]["ok"]:
        say(f"{rows:,} rows: comparing tables with the naive reference")
        size["same_tables"] = pipeline.compare(ours, naive_data)
    same = compare_peers(peers, ours, work, [p for p in peer_mod.NAMES if p in runs], runs, say)
    if same:
        size["same_as_peers"] = same


def compare_peers(
    peers: peer_mod.Peers,
    ours: Path,
    work: Path,
    names: list[str],
    runs: dict[str, list[dict[str, Any]]],
    say: Callable[[str], None],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if peers.compare is None or peers.python is None:
            out[name] = {"equal": None, "error": f"not compared: {peers.compare_skipped}"}
        elif not runs[name][-1]["ok"]:
            out[name] = {"equal": None, "error": "not compared: the peer's run failed"}
        else:
            say(f"comparing lakeconsole's tables with the {name} peer's")
            out[name] = peer_mod.compare(peers.python, peers.compare, ours, peer_data(work, name))
    return out


def ratios(size: dict[str, Any]) -> dict[str, float | None]:
    lc, fl = size["lakeconsole"], size["floor"]
    nv, mn = size.get("naive") or {}, size.get("minimal") or {}
    out = {
        "minimal_vs_floor_wall": pipeline.ratio(mn.get("wall_s"), fl["wall_s"]),
        "lakeconsole_vs_minimal_wall": pipeline.ratio(lc["wall_s"], mn.get("wall_s")),
        "lakeconsole_vs_floor_wall": pipeline.ratio(lc["wall_s"], fl["wall_s"]),
        "lakeconsole_vs_floor_cpu": pipeline.ratio(lc["cpu_s"], fl["cpu_s"]),
        "lakeconsole_vs_naive_wall": pipeline.ratio(lc["wall_s"], nv.get("wall_s")),
        "lakeconsole_vs_naive_cpu": pipeline.ratio(lc["cpu_s"], nv.get("cpu_s")),
    }
    for p in peer_mod.NAMES:
        if p in size:
            out[f"lakeconsole_vs_{p}_wall"] = pipeline.ratio(lc["wall_s"], size[p]["wall_s"])
            out[f"{p}_vs_floor_wall"] = pipeline.ratio(size[p]["wall_s"], fl["wall_s"])
    return out


def bench_increment(
    args: argparse.Namespace,
    size: dict[str, Any],
    peers: peer_mod.Peers,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """On each approach's lake of the largest size: one more file (a fresh one per round, the
    next `increment_rows` lines), a run, then a run with nothing new. The floor of that one
    file is measured in the same rotation."""
    rows, inc_rows, work = size["rows"], args.increment_rows, args.work
    of = target(args.pipeline)
    lakes = {"lakeconsole": work / "lakeconsole" / "data"}
    for p in peer_mod.NAMES:
        if p in size and size[p].get("ok"):
            lakes[p] = peer_data(work, p)
    names = ["floor", *lakes]
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    noops: dict[str, list[dict[str, Any]]] = {n: [] for n in lakes}
    settled: dict[str, list[dict[str, Any]]] = {n: [] for n in lakes}
    out: dict[str, Any] = {"lake_rows": rows, "increment_rows": inc_rows, "orders": []}
    for r in range(args.rounds):
        folder = work / "increments" / f"round-{r + 1}"
        shutil.rmtree(folder, ignore_errors=True)
        tag = "" if r == 0 else f"{r + 1:02d}"
        file = increment_file(folder, rows + r * inc_rows, inc_rows, args.seed, of.name, tag)
        order = rotate(names, r)
        out["orders"].append(order)
        for name in order:
            say(f"increment round {r + 1}/{args.rounds}: {name}")
            if name == "floor":
                runs[name].append(pipeline.run_floor(folder, work, of))
                continue
            link_landing([file], lakes[name] / "landing")
            inc, noop, again = increment_and_noop(name, lakes[name], peers)
            runs[name].append(inc)
            noops[name].append(noop)
            settled[name].append(again)
        if r == 0:
            same = compare_peers(peers, lakes["lakeconsole"], work, list(lakes)[1:], runs, say)
            if same:
                out["same_as_peers"] = same
    out["floor"] = best(runs["floor"])
    out["incremental"] = best(runs["lakeconsole"])
    out["noop"] = best(noops["lakeconsole"])
    out["noop_settled"] = best(settled["lakeconsole"])
    out["peers"] = {
        p: {"incremental": best(runs[p]), "noop": best(noops[p]), "noop_settled": best(settled[p])}
        for p in lakes
        if p != "lakeconsole"
    }
    for kind, source in (("incremental", runs), ("noop", noops), ("noop_settled", settled)):
        for name in lakes:
            node = out[kind] if name == "lakeconsole" else out["peers"][name][kind]
            node["new_versions_per_round"] = [x.get("new_versions") for x in source[name]]
            node["new_versions"] = max(node["new_versions_per_round"])
    out["disk_mb"] = {name: _mb(disk_use(data)) for name, data in lakes.items()}
    return out


def increment_and_noop(
    name: str, data: Path, peers: peer_mod.Peers
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One run with the new file, then two with nothing new (the first checks every step in
    full; the second is the cron case, where each step is unchanged since it found nothing:
    core/quiet_marks.py); table versions counted."""

    def once() -> dict[str, Any]:
        before = table_versions(data)
        if name == "lakeconsole":
            figures, _ = pipeline.lakeconsole_run(data.parent)
        else:
            assert peers.python is not None
            figures = peer_mod.run_peer(peers.python, peers.runnable[name], data, 0)
        figures["new_versions"] = new_versions(before, table_versions(data))
        return figures

    return once(), once(), once()


def _mb(used: dict[str, int]) -> dict[str, float]:
    return {k: round(v / 2**20, 1) for k, v in used.items()}
