"""`lakeconsole check`: a state file that describes a later state than its table has.

For every silver table (its watermark) and gold table (its pending partitions) of a declared
pipeline. The next run repairs it by itself (silver re-reads bronze, gold recomputes every
partition); the finding says so, so that a RESTORE done by hand is not mistaken for a lake that
is up to date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeconsole.core.api import GoldTable, Pipeline, SilverTable
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.governance import Finding


def state_findings(settings: Settings, pipeline: Pipeline) -> list[Finding]:
    """One finding per state file of `pipeline` that its table no longer matches."""
    from lakeconsole.core.blocks.tables import exists
    from lakeconsole.core.table_health import log_damage

    tables = list(pipeline.declared.values())
    silvers = [t for t in tables if isinstance(t, SilverTable)]
    golds = [t for t in tables if isinstance(t, GoldTable)]
    specs = [t.spec for t in (*silvers, *golds)]
    specs += [t.rejected_rows for t in silvers if t.rejected_rows is not None]
    # A damaged table is its own finding (DAMAGE, with its repair); its state is judged after.
    if any(exists(p) and log_damage(p) for p in (s.path(settings.lake_root) for s in specs)):
        return []
    out: list[Finding] = []
    for silver in silvers:
        reason = _watermark_problem(settings, silver)
        if reason:
            out.append(_finding(silver.name, reason, "it re-derives silver"))
    for gold in golds:
        reason = _pending_problem(settings, gold)
        if reason:
            out.append(_finding(gold.name, reason, "it recomputes gold"))
    return out


def _watermark_problem(settings: Settings, silver: SilverTable) -> str | None:
    """Why silver's watermark cannot be trusted, or None (also when there is none)."""
    from lakeconsole.core.blocks.state import state_path

    if not state_path(settings, silver, "watermark").exists():
        return None
    from lakeconsole.core.blocks.watermark import read_watermark

    _, reason = read_watermark(settings, silver)
    return reason


def _pending_problem(settings: Settings, gold: GoldTable) -> str | None:
    """Why gold's pending file cannot be trusted (unusable, or gold moved since), or None."""
    from lakeconsole.core.blocks.pending import KIND, load_pending
    from lakeconsole.core.blocks.state import state_path
    from lakeconsole.core.blocks.table_marks import changed_since
    from lakeconsole.core.blocks.tables import exists

    if not state_path(settings, gold, KIND).exists():
        return None
    state, reason = load_pending(settings, gold)
    path = gold.spec.path(settings.lake_root)
    if not reason and exists(path):
        from lakeconsole.core.storage import open_delta

        mark = state.get("tables", {}).get("gold")
        reason = changed_since(open_delta(path), mark, gold.spec.name)
    return reason


def _finding(table: str, reason: str, repair: str) -> Finding:
    from lakeconsole.core.governance import Finding

    return Finding(
        "OPS-01",
        table,
        f"the pipeline's state is ahead of the table ({reason}); run `lakeconsole run`: {repair}",
    )
