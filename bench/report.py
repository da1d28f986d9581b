"""Results as JSON and as a Markdown table, with the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

TARGETS = {
    "end_to_end_vs_floor": 3.0,
    "peak_rss_mb": 2048,
    "incremental_s": 2.0,
    "noop_s": 0.5,
    "cold_start_s": 0.6,
    "key_ms": 100,
    "history_s": 0.3,
}


def machine() -> dict[str, Any]:
    """Cores, memory, load, versions: what a reader needs to weigh the figures."""
    import deltalake
    import pyarrow

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "deltalake": deltalake.__version__,
        "pyarrow": pyarrow.__version__,
    }


def write_results(results: dict[str, Any], out: Path, stamp: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{stamp}.json", out / f"{stamp}.md"
    json_path.write_text(json.dumps(results, indent=1))
    md_path.write_text(markdown(results))
    return json_path, md_path


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables: pipeline per size, increment and no-op, console."""
    m = results["machine"]
    lines = [
        f"# lakeconsole benchmark, {results['started']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"deltalake {m['deltalake']}, pyarrow {m['pyarrow']}; load average at start "
        f"{m['load_average']}, at end {results.get('load_average_end')}.",
        f"Pipeline: {results.get('pipeline', 'sales')}. Rounds per size: "
        f"{results['sizes'][0].get('rounds', 1) if results['sizes'] else 1} (interleaved, "
        "rotating order, min reported). Measured processes run without "
        "PYTHONDONTWRITEBYTECODE (this machine sets it, a user's shell does not; with it every "
        "run recompiles its modules, ~0.1 s), after one byte-compiling warm-up.",
        *_peers_line(results.get("peers")),
        f"Command: `{results['command']}`"
        + (f"; settings {results['settings']}" if results.get("settings") else ""),
        "",
    ]
    for size in results["sizes"]:
        lines += _size_table(size)
    if results.get("incremental"):
        lines += _incremental(results["incremental"])
    if results.get("console"):
        lines += _console(results["console"])
    lines += _targets18(results)
    lines += _verdicts(results)
    return "\n".join(lines) + "\n"


def _size_table(size: dict[str, Any]) -> list[str]:
    rows = size["rows"]
    out = [
        f"## {rows:,} landing rows ({size['files']} files)",
        "",
        "| approach | layer | wall s | CPU s | peak RSS MB | rows/s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for key in APPROACHES:
        a = size.get(key)
        if not a:
            continue
        name = label(key)
        status = "" if a.get("ok") else " (FAILED)"
        out.append(
            f"| {name}{status} | end to end | {a['wall_s']:.2f} | {a['cpu_s']:.2f} | "
            f"{a['peak_rss_mb']:.0f} | {_n(a['rows_per_s'])} |"
        )
        for layer, f in a.get("layers", {}).items():
            if name == "floor":
                continue
            out.append(
                f"| {name} | {layer} | {f['wall_s']:.2f} |  | {_n(f['peak_rss_mb'])} | "
                f"{_n(f['rows_per_s'])} |"
            )
    for name in size.get("not_applicable", {}):
        out.append(f"| {name} | n/a for this pipeline (below) |  |  |  |  |")
    for name, why in (size.get("peers_skipped") or {}).items():
        out.append(f"| {label(name)} | skipped: {why} |  |  |  |  |")
    r = size.get("ratios", {})
    out.append("")
    out += _rounds_line(size, APPROACHES)
    if size["floor"].get("method"):
        out.append(f"Floor: {size['floor']['method']}.")
    for name, why in size.get("not_applicable", {}).items():
        out.append(f"{name}: n/a for this pipeline: {why}.")
    out += [
        "Ratios (wall / CPU): lakeconsole/floor "
        f"{r.get('lakeconsole_vs_floor_wall')} / {r.get('lakeconsole_vs_floor_cpu')}, "
        f"lakeconsole/naive {r.get('lakeconsole_vs_naive_wall')} / "
        f"{r.get('lakeconsole_vs_naive_cpu')}; minimal three-layer pipeline/floor "
        f"{r.get('minimal_vs_floor_wall')}, lakeconsole/minimal "
        f"{r.get('lakeconsole_vs_minimal_wall')} (wall)"
        + "".join(
            f"; lakeconsole/{p} peer {r.get(f'lakeconsole_vs_{p}_wall')}, {p} peer/floor "
            f"{r.get(f'{p}_vs_floor_wall')}"
            for p in PEERS
            if p in size
        )
        + ".",
    ]
    out += _same_as_peers(size.get("same_as_peers"), "after the first run")
    out += _disk(size.get("disk_mb"))
    if "same_tables" in size:
        same = size["same_tables"]
        if "error" in same:
            out.append(f"Same tables as the naive reference: not compared ({same['error']}).")
        else:
            verdict = ", ".join(
                f"{t} {'equal' if v['equal'] else 'NOT equal'} ({v['rows'][0]:,} rows"
                + (
                    f"; {', '.join(v['not_compared'])} in one lake only"
                    if v.get("not_compared")
                    else ""
                )
                + ")"
                for t, v in same.items()
            )
            out.append(f"Same tables as the naive reference: {verdict}.")
    return [*out, ""]


def _incremental(inc: dict[str, Any]) -> list[str]:
    runs = [("lakeconsole", "", inc["incremental"], inc["noop"])]
    runs += [(p, " peer", v["incremental"], v["noop"]) for p, v in inc.get("peers", {}).items()]
    failed = [
        f"{who}{kind} {what} run FAILED: {r.get('error')}"
        for who, kind, i, n in runs
        for what, r in (("incremental", i), ("no-op", n))
        if not r.get("ok")
    ]
    out = [
        *failed,
        f"## On the {inc['lake_rows']:,}-row lake",
        "",
        "| approach | run | wall s | CPU s | peak RSS MB | new table versions |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    settled = {"lakeconsole": inc.get("noop_settled")} | {
        p: v.get("noop_settled") for p, v in inc.get("peers", {}).items()
    }
    for who, kind, i, n in runs:
        done = [(f"one more {inc['increment_rows']:,}-row file", i), ("no-op re-run", n)]
        if settled.get(who):
            done.append(("no-op re-run again (settled)", settled[who]))
        for what, r in done:
            out.append(
                f"| {who}{kind} | {what} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                f"{r['peak_rss_mb']:.0f} | {r.get('new_versions')} |"
            )
    floor = inc.get("floor")
    if floor:
        out.append(
            f"| floor | that one file | {floor['wall_s']:.2f} | {floor['cpu_s']:.2f} | "
            f"{floor['peak_rss_mb']:.0f} |  |"
        )
    out += [
        "",
        "Increment per layer (s): "
        + ", ".join(
            f"{k} {v['wall_s']:.2f}" for k, v in inc["incremental"].get("layers", {}).items()
        ),
    ]
    rounds = {"floor": floor} if floor else {}
    rounds |= {f"{w}{k}": i for w, k, i, _ in runs} | {f"{w}{k} no-op": n for w, k, _, n in runs}
    out += _rounds_line(rounds, list(rounds), plain=True)
    out += _same_as_peers(inc.get("same_as_peers"), "after the increment")
    return [*out, ""]


def _console(c: dict[str, Any]) -> list[str]:
    cold, keys, hist = c.get("cold_start", {}), c.get("keys", {}), c.get("history", {})
    return [
        "## Console",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| cold start to first screen (tmux, median of {len(cold.get('runs_s', []))}) | "
        f"{cold.get('median_s', cold.get('error'))} s (smallest Textual app: "
        f"{cold.get('textual_floor_median_s')} s) |",
        f"| key to screen update during a run (median / p90 / max of "
        f"{keys.get('presses', 0)}) | {keys.get('median_ms', keys.get('error'))} / "
        f"{keys.get('p90_ms')} / {keys.get('max_ms')} ms"
        + (f" (the console failed: {keys['app_error']})" if keys.get("app_error") else "")
        + " |",
        f"| history of a {hist.get('commits', '?')}-commit table, first page | "
        f"{hist.get('first_page_s', hist.get('error'))} s "
        f"(with its import {hist.get('first_page_with_import_s')} s) |",
        "",
    ]


def verdicts(results: dict[str, Any]) -> dict[str, tuple[Any, Any, bool | None]]:
    """Each issue-9 target: (measured, target, met)."""
    t = TARGETS
    out: dict[str, tuple[Any, Any, bool | None]] = {}
    largest = results["sizes"][-1] if results["sizes"] else {}
    lc = largest.get("lakeconsole") or {}
    ratio = largest.get("ratios", {}).get("lakeconsole_vs_floor_wall")
    if lc:
        out[f"{largest['rows']:,} rows end to end ≤ 3× floor (wall)"] = (
            ratio,
            t["end_to_end_vs_floor"],
            ratio is not None and ratio <= 3,
        )
        out["peak RSS ≤ 2 GB"] = (
            lc["peak_rss_mb"],
            t["peak_rss_mb"],
            lc["peak_rss_mb"] <= t["peak_rss_mb"],
        )
    peaks = [s["lakeconsole"]["peak_rss_mb"] for s in results["sizes"] if s.get("lakeconsole")]
    if len(peaks) > 1:
        grows = peaks[-1] / peaks[0]
        out["memory flat with lake size (largest / smallest peak ≤ 1.25)"] = (
            round(grows, 2),
            1.25,
            grows <= 1.25,
        )
    inc = results.get("incremental")
    if inc and not (inc["incremental"].get("ok") and inc["noop"].get("ok")):
        out["incremental and no-op runs succeed"] = ("failed", "succeeded", False)
    elif inc:
        out[
            f"one {inc['increment_rows']:,}-row file into the {inc['lake_rows']:,}-row lake ≤ 2 s"
        ] = (
            inc["incremental"]["wall_s"],
            t["incremental_s"],
            inc["incremental"]["wall_s"] <= t["incremental_s"],
        )
        out["no-op re-run ≤ 0.5 s"] = (
            inc["noop"]["wall_s"],
            t["noop_s"],
            inc["noop"]["wall_s"] <= t["noop_s"],
        )
        out["no-op re-run: 0 new versions"] = (
            inc["noop"]["new_versions"],
            0,
            inc["noop"]["new_versions"] == 0,
        )
    console = results.get("console") or {}
    if "median_s" in console.get("cold_start", {}):
        v = console["cold_start"]["median_s"]
        out["console first screen ≤ 0.6 s"] = (v, t["cold_start_s"], v <= t["cold_start_s"])
    if "median_ms" in console.get("keys", {}):
        v = console["keys"]["p90_ms"]
        out["key to update < 100 ms (p90)"] = (v, t["key_ms"], v < t["key_ms"])
    if "first_page_s" in console.get("history", {}):
        v = console["history"]["first_page_with_import_s"]
        out[f"{console['history']['commits']:,}-commit history ≤ 0.3 s"] = (
            v,
            t["history_s"],
            v <= t["history_s"],
        )
    return out


def _verdicts(results: dict[str, Any]) -> list[str]:
    out = ["## Targets (issue 9)", "", "| target | measured | met |", "| --- | ---: | --- |"]
    for name, (value, _, met) in verdicts(results).items():
        out.append(f"| {name} | {value} | {'yes' if met else 'no'} |")
    return [*out, ""]


def _n(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


APPROACHES = ("floor", "minimal", "naive", "lakeconsole", "polars", "duckdb")
PEERS = ("polars", "duckdb")


def label(key: str) -> str:
    return f"{key} peer" if key in PEERS else key


def _peers_line(peers: dict[str, Any] | None) -> list[str]:
    if not peers:
        return []
    if peers.get("not_applicable"):
        return [f"Peers: not applicable: {peers['not_applicable']}."]
    ran = ", ".join(peers.get("runnable", [])) or "none"
    if not peers.get("python"):
        why = "; ".join(f"{k} skipped: {v}" for k, v in peers.get("skipped", {}).items())
        return [f"Peers: {why}."]
    versions = ", ".join(f"{k} {v}" for k, v in sorted(peers.get("versions", {}).items()))
    skipped = "; ".join(f"{k} skipped: {v}" for k, v in peers.get("skipped", {}).items())
    return [
        f"Peers ({peers.get('folder')}, python {peers.get('python')}"
        + (f": {versions}" if versions else "")
        + f"): ran {ran}"
        + (f"; {skipped}" if skipped else "")
        + "."
    ]


def _rounds_line(figs: dict[str, Any], names: Any, plain: bool = False) -> list[str]:
    parts = [
        f"{n if plain else label(n)} " + ", ".join(f"{r['wall_s']:.2f}" for r in figs[n]["rounds"])
        for n in names
        if figs.get(n) and len(figs[n].get("rounds", [])) > 1
    ]
    return [f"Every round (wall s, in round order): {'; '.join(parts)}.", ""] if parts else []


def _same_as_peers(same: dict[str, Any] | None, when: str) -> list[str]:
    out = []
    for peer, v in (same or {}).items():
        if v.get("equal") is None:
            out.append(f"Same tables as the {peer} peer {when}: {v.get('error')}.")
        elif v["equal"]:
            tables = v.get("tables", {})
            rows = ", ".join(f"{t} {d['a']['rows']:,} rows" for t, d in tables.items())
            out.append(f"Same tables as the {peer} peer {when}: all equal ({rows}).")
        else:
            diff = "; ".join(
                f"{t}: {', '.join(d['differing_columns'])} differ "
                f"({d['a']['rows']:,} vs {d['b']['rows']:,} rows)"
                for t, d in (v.get("tables") or {}).items()
                if not d.get("equal")
            )
            out.append(
                f"**MISMATCH: lakeconsole's tables are NOT equal to the {peer} peer's {when}**: "
                f"{diff or v.get('error')}."
            )
    return [*out, ""] if out else []


def _disk(disk: dict[str, dict[str, float]] | None) -> list[str]:
    if not disk:
        return []
    layers = ["bronze", "silver", "gold", "quarantine"]
    others = sorted({k for d in disk.values() for k in d} - {*layers, "lake", "landing"})
    head = [*layers, *others, "lake (all but landing)", "landing"]
    out = [
        "",
        "Disk use (MB, allocated blocks as du counts them; landing files are hard links to the "
        "cache):",
        "",
        "| lake | " + " | ".join(head) + " |",
        "| --- |" + " ---: |" * len(head),
    ]
    for who, d in disk.items():
        cells = [d.get(k) for k in [*layers, *others]] + [d.get("lake"), d.get("landing")]
        shown = ("" if c is None else f"{c:,.1f}" for c in cells)
        out.append(f"| {label(who)} | " + " | ".join(shown) + " |")
    return [*out, ""]


def _targets18(results: dict[str, Any]) -> list[str]:
    from bench.targets import issue18

    out = ["## Targets (issue 18)", "", "| target | measured | met |", "| --- | --- | --- |"]
    for name, value, met in issue18(results):
        out.append(f"| {name} | {value} | {'n/a' if met is None else 'yes' if met else 'NO'} |")
    return [*out, ""]
