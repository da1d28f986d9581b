"""Issue 18's targets, each with its measured value and whether it is met (None: not measured,
the value then says why)."""

from __future__ import annotations

from typing import Any

PEERS = ("polars", "duckdb")
INCREMENT_VS_FLOOR = 2.0
NOOP_S = 0.4
AT_10M_VS_FLOOR = 2.5
RSS_10M_MB = 1.3 * 1024
GROWTH_100M = 10.5
RSS_SAME = 0.10
EVENTS_VS_SALES = 1.5
TEN_M, HUNDRED_M = 10_000_000, 100_000_000

Verdict = tuple[str, str, bool | None]


def issue18(results: dict[str, Any]) -> list[Verdict]:
    out: list[Verdict] = []
    out += _increment(results.get("incremental"))
    sizes = {s["rows"]: s for s in results.get("sizes", [])}
    if 1_000_000 in sizes:
        out.append(_faster("1M lines: faster than the polars peer", sizes[1_000_000], "polars"))
    ten = sizes.get(TEN_M) or _size_of(results.get("compare_10m"), TEN_M)
    if TEN_M in sizes:
        out += _ten_million(sizes[TEN_M])
    if HUNDRED_M in sizes:
        out += _hundred_million(sizes[HUNDRED_M], ten, TEN_M not in sizes)
    if results.get("pipeline", "sales") != "sales" and TEN_M in sizes:
        out.append(_events(sizes[TEN_M], results.get("compare_sales")))
    return out


def _increment(inc: dict[str, Any] | None) -> list[Verdict]:
    if not inc:
        return [("increment and no-op", "not measured (the largest run failed)", None)]
    lake = f"{inc['lake_rows']:,}"
    one, noop = inc["incremental"], inc["noop"]
    file = f"one {inc['increment_rows']:,}-line file into the {lake}-line lake"
    out = [_vs_peers(f"{file}: faster than both peers", inc, "incremental")]
    floor = inc.get("floor") or {}
    if one.get("ok") and floor.get("ok") and floor.get("wall_s"):
        r = one["wall_s"] / floor["wall_s"]
        out.append(
            (
                f"{file}: ≤ {INCREMENT_VS_FLOOR:g}× its floor",
                f"{r:.2f}× ({one['wall_s']:.2f} s / {floor['wall_s']:.2f} s)",
                r <= INCREMENT_VS_FLOOR,
            )
        )
    else:
        out.append((f"{file}: ≤ 2× its floor", "not measured (a run failed)", None))
    out.append(_vs_peers("no-op re-run: faster than both peers", inc, "noop"))
    if inc.get("noop_settled"):
        out.append(
            _vs_peers(
                "no-op re-run again (settled, the cron case): faster than both peers",
                inc,
                "noop_settled",
            )
        )
    out.append(
        (
            f"no-op re-run ≤ {NOOP_S} s",
            f"{noop['wall_s']:.2f} s",
            bool(noop.get("ok")) and noop["wall_s"] <= NOOP_S,
        )
    )
    out.append(
        ("no-op re-run: 0 new versions", str(noop["new_versions"]), noop["new_versions"] == 0)
    )
    return out


def _vs_peers(name: str, inc: dict[str, Any], kind: str) -> Verdict:
    ours = inc[kind]
    theirs = {p: v[kind] for p, v in (inc.get("peers") or {}).items()}
    if not ours.get("ok"):
        return (name, "lakeconsole's run failed", False)
    if set(theirs) != set(PEERS):
        absent = ", ".join(p for p in PEERS if p not in theirs)
        return (name, f"not measured: no {absent} peer (see Peers)", None)
    text = f"{ours['wall_s']:.2f} s vs " + ", ".join(
        f"{p} {theirs[p]['wall_s']:.2f} s" for p in PEERS
    )
    met = all(t.get("ok") and ours["wall_s"] < t["wall_s"] for t in theirs.values())
    return (name, text, met)


def _faster(name: str, size: dict[str, Any], peer: str) -> Verdict:
    lc, other = size["lakeconsole"], size.get(peer)
    if other is None:
        why = (size.get("peers_skipped") or {}).get(peer, "not run")
        return (name, f"not measured: {why}", None)
    text = f"{lc['wall_s']:.2f} s vs {other['wall_s']:.2f} s"
    return (name, text, bool(lc["ok"] and other["ok"]) and lc["wall_s"] < other["wall_s"])


def _ten_million(size: dict[str, Any]) -> list[Verdict]:
    lc, fl = size["lakeconsole"], size["floor"]
    r = lc["wall_s"] / fl["wall_s"]
    return [
        (f"10M lines: ≤ {AT_10M_VS_FLOOR:g}× the floor", f"{r:.2f}×", lc["ok"] and r <= 2.5),
        (
            f"10M lines: peak RSS ≤ 1.3 GB ({RSS_10M_MB:,.0f} MB)",
            f"{lc['peak_rss_mb']:,.0f} MB",
            lc["peak_rss_mb"] <= RSS_10M_MB,
        ),
    ]


def _hundred_million(
    size: dict[str, Any], ten: dict[str, Any] | None, from_file: bool
) -> list[Verdict]:
    lc = size["lakeconsole"]
    disk = (size.get("disk_mb") or {}).get("lakeconsole", {})
    out: list[Verdict] = []
    if ten is None:
        why = "not measured: no 10M run (add 10000000 to --rows or pass --compare-10m)"
        out += [("100M: time ≤ 10.5× the 10M time", why, None)]
        out += [("100M: peak RSS within 10% of 10M's", why, None)]
    else:
        src = " (10M from --compare-10m)" if from_file else ""
        t10, m10 = ten["lakeconsole"]["wall_s"], ten["lakeconsole"]["peak_rss_mb"]
        growth, rss = lc["wall_s"] / t10, lc["peak_rss_mb"] / m10 - 1
        out.append(
            (
                f"100M: time ≤ {GROWTH_100M:g}× the 10M time{src}",
                f"{growth:.2f}× ({lc['wall_s']:.1f} s / {t10:.1f} s)",
                lc["ok"] and growth <= GROWTH_100M,
            )
        )
        out.append(
            (
                f"100M: peak RSS within {RSS_SAME:.0%} of 10M's{src}",
                f"{lc['peak_rss_mb']:,.0f} MB vs {m10:,.0f} MB ({rss:+.1%})",
                abs(rss) <= RSS_SAME,
            )
        )
    out.append(
        (
            "100M: disk use of the lake reported",
            f"{disk.get('lake', 0):,.0f} MB (per layer under Disk use)" if disk else "absent",
            bool(disk),
        )
    )
    return out


def _events(size: dict[str, Any], sales: dict[str, Any] | None) -> Verdict:
    name = f"events at 10M: lakeconsole/floor within {EVENTS_VS_SALES:g}× sales's"
    ours = size["ratios"]["lakeconsole_vs_floor_wall"]
    theirs = _size_of(sales, TEN_M)
    if theirs is None or ours is None:
        return (name, f"{ours}× here; not compared (pass --compare-sales with a 10M run)", None)
    ref = theirs["ratios"]["lakeconsole_vs_floor_wall"]
    return (name, f"{ours}× vs sales {ref}× ({ours / ref:.2f})", ours / ref <= EVENTS_VS_SALES)


def _size_of(results: dict[str, Any] | None, rows: int) -> dict[str, Any] | None:
    for size in (results or {}).get("sizes", []):
        if size.get("rows") == rows and size.get("lakeconsole"):
            return size  # type: ignore[no-any-return]
    return None
