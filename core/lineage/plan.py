"""What a gold table's declaration says about tracing its rows, read without touching data.

A declared gold table (`pipeline.gold(...)`) groups the silver rows it reads: a gold row with
key (order_date, region, ...) comes from the silver rows holding the same values in the key
columns silver also has. A silver row's key is found among bronze's raw lines (and quarantine's)
through the key columns that are landing columns as written, not derived ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeconsole.core.api import CustomTable, GoldTable, Pipeline, SilverTable, Table
from lakeconsole.core.dag import PipelineError


class TraceError(PipelineError):
    """A trace cannot be made; the message is one line naming why and what to give instead."""


@dataclass(frozen=True)
class SilverPlan:
    """How the rows of one silver table behind a gold row are found."""

    silver: SilverTable
    matched_on: tuple[str, ...]  # gold key columns silver also has: the silver filter
    unmatched: tuple[str, ...]  # gold key columns silver lacks (computed by the gold function)
    raw_key: tuple[str, ...]  # silver key columns bronze holds as landing text
    derived_key: tuple[str, ...]  # silver key columns derived in silver (not in bronze as such)

    @property
    def bronze(self) -> str:
        assert self.silver.from_ is not None
        return self.silver.from_.name

    @property
    def quarantine(self) -> str | None:
        return self.silver.rejected_rows.name if self.silver.rejected_rows else None


@dataclass(frozen=True)
class TracePlan:
    gold: GoldTable
    silvers: tuple[SilverPlan, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return self.gold.spec.key


def plan_trace(pipeline: Pipeline, name: str) -> TracePlan:
    """The plan for tracing rows of the gold table `name`, or a TraceError saying why not."""
    table = pipeline.declared.get(name)
    if table is None:
        declared = [t for t in pipeline.declared.values() if isinstance(t, GoldTable)]
        listed = ", ".join(t.name for t in declared) or "none"
        raise TraceError(
            f"{name} is not declared by the pipeline {pipeline.name}: a trace follows a "
            f"declaration; gold tables it declares: {listed}"
        )
    if not isinstance(table, GoldTable):
        raise TraceError(_not_gold(table))
    if not table.spec.key:
        raise TraceError(
            f"{name} declares no key=: a row cannot be named; declare key=(...) in "
            "pipeline.gold(...)"
        )
    silvers = tuple(_silver_plan(table, s) for s in table.reads if isinstance(s, SilverTable))
    if not any(s.matched_on for s in silvers):
        read = ", ".join(t.name for t in table.reads) or "no table"
        raise TraceError(
            f"{name} cannot be traced: its key ({', '.join(table.spec.key)}) shares no column "
            f"with what it reads ({read}), so no silver row can be tied to one of its rows"
        )
    return TracePlan(table, silvers)


def _not_gold(table: Table) -> str:
    if isinstance(table, CustomTable) and table.layer == "gold":
        return (
            f"{table.name} cannot be traced: it is written by the custom step {table.step} "
            "(@pipeline.step), whose Python lakeconsole cannot read to tell which silver rows "
            "make a row; declare it with pipeline.gold(...) to trace it"
        )
    return (
        f"a trace starts from a gold table; {table.name} is {table.layer}: each of its rows "
        "names its own landing line (_source_file, _source_row)"
    )


def _silver_plan(gold: GoldTable, silver: SilverTable) -> SilverPlan:
    columns = {c.name for c in silver.spec.columns}
    matched = tuple(c for c in gold.spec.key if c in columns)
    unmatched = tuple(c for c in gold.spec.key if c not in columns)
    derived = {d.column for d in silver.derive}
    landing = set(silver.from_.source.columns) if silver.from_ is not None else set()
    raw = tuple(k for k in silver.spec.key if k in landing and k not in derived)
    derived_key = tuple(k for k in silver.spec.key if k not in raw)
    return SilverPlan(silver, matched, unmatched, raw, derived_key)
