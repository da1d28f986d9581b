"""`lakeconsole check`: a sales state file that describes a later state than its table has.

The next run repairs it by itself (silver re-reads bronze, gold recomputes every date); the
finding says so, so that a RESTORE done by hand is not mistaken for a lake that is up to date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.governance import Finding


def state_findings(settings: Settings) -> list[Finding]:
    """One finding per sales state file that its table no longer matches."""
    from lakeconsole.core.blocks.pending import KIND as GOLD_PENDING
    from lakeconsole.core.blocks.state import load_state, state_path
    from lakeconsole.core.blocks.state_shapes import pending_problem
    from lakeconsole.core.blocks.table_marks import changed_since
    from lakeconsole.core.blocks.tables import exists
    from lakeconsole.core.blocks.watermark import WATERMARK, marked, read_watermark
    from lakeconsole.core.governance import Finding
    from lakeconsole.core.sales import declared
    from lakeconsole.core.sales.definition import GOLD_DAILY_REVENUE, SILVER_ORDERS
    from lakeconsole.core.table_health import log_damage

    # A damaged table is its own finding (DAMAGE, with its repair); its state is judged after.
    if any(
        exists(path) and log_damage(path)
        for path in (
            s.path(settings.data_dir)
            for s in (*marked(declared.silver()).values(), GOLD_DAILY_REVENUE)
        )
    ):
        return []
    out: list[Finding] = []
    if state_path(settings, declared.silver(), WATERMARK).exists():
        _, reason = read_watermark(settings, declared.silver())
        if reason:
            out.append(_finding(Finding, SILVER_ORDERS.name, reason, "it re-derives silver"))
    if state_path(settings, declared.gold(), GOLD_PENDING).exists():
        state, reason = load_state(settings, declared.gold(), GOLD_PENDING, pending_problem)
        path = GOLD_DAILY_REVENUE.path(settings.data_dir)
        if not reason and exists(path):
            from deltalake import DeltaTable

            mark = state.get("tables", {}).get("gold")
            reason = changed_since(DeltaTable(str(path)), mark, GOLD_DAILY_REVENUE.name)
        if reason:
            out.append(_finding(Finding, GOLD_DAILY_REVENUE.name, reason, "it recomputes gold"))
    return out


def _finding(kind: type[Finding], table: str, reason: str, repair: str) -> Finding:
    return kind(
        "OPS-01",
        table,
        f"the pipeline's state is ahead of the table ({reason}); run `lakeconsole run`: {repair}",
    )
