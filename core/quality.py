"""Data quality over time: per run, per silver table and per rule, the lines checked and the lines
rejected, kept in `_lakeconsole/quality.jsonl` (one line per table per run that checked lines),
in the engine's state folder (core.storage.state_home: the bucket's for a lake in a bucket).

Silver writes a record when its run ends, and also when it stops on `fail_above`, since that
run matters most. A rejected line counts under the first rule it failed, as quarantine
records it, so a table's per-rule counts add up to its quarantined lines. A run that checked
nothing (a no-op) writes nothing. A torn last line (a crash mid-append) is skipped when read."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, overload

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import (
    LakePath,
    Location,
    StorageError,
    append_line,
    read_optional,
    state_home,
)

log = logging.getLogger("lakeconsole.quality")

LEDGER = "quality.jsonl"


@dataclass(frozen=True)
class QualityRecord:
    run_id: str
    at: float
    table: str  # the silver table, e.g. silver/sales_orders
    quarantine: str  # where its rejected lines are
    checked: int
    rejected: dict[str, int] = field(default_factory=dict)  # rule -> lines
    stopped: bool = False  # the step stopped on fail_above (the table's or a rule's)
    step: str = ""  # the step that checked them ("" in records written before it was kept)
    # The rules' declared thresholds at that run, and which ones its shares went above.
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    breached: dict[str, str] = field(default_factory=dict)  # rule -> "warn" | "fail"

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@overload
def ledger_path(state_dir: Path) -> Path: ...
@overload
def ledger_path(state_dir: Location) -> Location: ...
@overload
def ledger_path(state_dir: LakePath) -> LakePath: ...
def ledger_path(state_dir: LakePath) -> LakePath:
    return state_dir / LEDGER


def record_quality(settings: Settings, record: QualityRecord) -> None:
    """Append one record, durable before returning (core.storage.append_line: in a bucket a
    conditional put, so no record is lost); a failure to write is logged, not raised (the
    run's data is already committed: losing a quality line must not fail it)."""
    if not record.checked:
        return
    held = {**record.__dict__, "thresholds": {k: t.__dict__ for k, t in record.thresholds.items()}}
    line = json.dumps(held, sort_keys=True) + "\n"
    try:
        append_line(ledger_path(state_home(settings)), line.encode("utf-8"))
    except (OSError, StorageError) as exc:
        log.warning("quality of %s in run %s not recorded: %s", record.table, record.run_id, exc)


def lake_quality(settings: Settings, table: str | None = None) -> list[QualityRecord]:
    """The lake's quality records, oldest first (read_quality of its state folder)."""
    return read_quality(state_home(settings), table)


def read_quality(state_dir: LakePath, table: str | None = None) -> list[QualityRecord]:
    """Every record, oldest first (of `table` when given); a line that is not one is skipped
    with a warning naming the file and line. StorageError when the bucket cannot be read."""
    path = ledger_path(state_dir)
    held_bytes = read_optional(path)
    if held_bytes is None:
        return []
    lines = held_bytes.decode("utf-8", errors="replace").splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        try:
            held = json.loads(line)
            record = _record(held)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("%s line %d is not a quality record (%s): skipped", path, n, exc)
            continue
        if table is None or record.table == table:
            out.append(record)
    return out


def _record(held: Mapping[str, Any]) -> QualityRecord:
    rejected = {str(k): int(v) for k, v in dict(held["rejected"]).items()}
    return QualityRecord(
        str(held["run_id"]),
        float(held["at"]),
        str(held["table"]),
        str(held["quarantine"]),
        int(held["checked"]),
        rejected,
        bool(held.get("stopped", False)),
        str(held.get("step", "")),
        {str(k): Threshold(**v) for k, v in dict(held.get("thresholds", {})).items()},
        {str(k): str(v) for k, v in dict(held.get("breached", {})).items()},
    )


@dataclass(frozen=True)
class Threshold:
    """A rule's declared limits, as shares of a run's lines (0.01 = 1%)."""

    warn_above: float | None = None
    fail_above: float | None = None

    def text(self) -> str:
        """`warn > 1% · fail > 10%`, or the one that is set."""
        pairs = (("warn", self.warn_above), ("fail", self.fail_above))
        return " · ".join(f"{word} > {v * 100:.3g}%" for word, v in pairs if v is not None)


class _Declared(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def warn_above(self) -> float | None: ...
    @property
    def fail_above(self) -> float | None: ...


def rule_thresholds(rules: Iterable[_Declared]) -> dict[str, Threshold]:
    """Per rule name, the thresholds its declaration carries (rules without any left out)."""
    return {
        r.name: Threshold(r.warn_above, r.fail_above)
        for r in rules
        if r.warn_above is not None or r.fail_above is not None
    }


@dataclass(frozen=True)
class Breach:
    """A rule whose share of a run's lines went above one of its thresholds."""

    rule: str
    level: str  # "warn" or "fail"
    rejected: int
    checked: int
    threshold: float

    @property
    def share(self) -> float:
        return self.rejected / self.checked if self.checked else 0.0

    def line(self, table: str, quarantine: str) -> str:
        """The one line a person acts on: the rule, the share, the threshold, how to change it."""
        said = (
            f"{table}: rule {self.rule} rejected {self.rejected:,} of {self.checked:,} lines "
            f"({self.share:.1%}), above its {self.level}_above {self.threshold:.1%}"
        )
        if self.level == "warn":
            return f"{said} (lakeconsole quality {table} --rule {self.rule})"
        return (
            f"{said}; they are in {quarantine} and silver was not changed by this batch. See "
            f"them (lakeconsole quality {table} --rule {self.rule}), then fix the source or raise "
            f"fail_above in rule {self.rule}'s .thresholds(...) in the pipeline declaration"
        )


# A share is judged once a run has checked this many lines: 1 bad line of 2 in a small hand-sent
# file says nothing about a feed, and must not fail the run that carries it.
JUDGED_FROM = 100


def breaches(
    thresholds: Mapping[str, Threshold], rejected: Mapping[str, int], checked: int
) -> list[Breach]:
    """The rules above a threshold (the higher level only), largest share first; none while
    fewer than JUDGED_FROM lines were checked."""
    out = []
    if checked < JUDGED_FROM:
        return []
    for rule, t in thresholds.items():
        n = rejected.get(rule, 0)
        share = n / checked
        if t.fail_above is not None and share > t.fail_above:
            out.append(Breach(rule, "fail", n, checked, t.fail_above))
        elif t.warn_above is not None and share > t.warn_above:
            out.append(Breach(rule, "warn", n, checked, t.warn_above))
    return sorted(out, key=lambda b: (-b.share, b.rule))


@dataclass(frozen=True)
class RuleTrend:
    """One rule of one table over its last runs: the rejected share per run, oldest first."""

    table: str
    rule: str
    shares: list[float]  # rejected / checked, per run
    rejected: list[int]
    checked: list[int]
    threshold: Threshold | None = None  # as the last run declared it
    breached: str = ""  # "warn" or "fail" when the last run went above that threshold
    at: list[float] = field(default_factory=list)  # when each run checked them
    quarantine: str = ""  # where the table's rejected lines are

    @property
    def last(self) -> float:
        return self.shares[-1]

    @property
    def rising(self) -> bool:
        """The last run rejected a larger share than the median of the runs before it."""
        before = sorted(self.shares[:-1])
        return bool(before) and self.last > before[len(before) // 2]


def trends(records: list[QualityRecord], runs: int) -> list[RuleTrend]:
    """Per table and rule (every rule that ever rejected a line in those runs), the last `runs`
    records' shares; a run where a rule rejected nothing counts 0."""
    by_table: dict[str, list[QualityRecord]] = {}
    for r in records:
        by_table.setdefault(r.table, []).append(r)
    out = []
    for table, held in sorted(by_table.items()):
        last = held[-runs:]
        for rule in sorted({rule for r in last for rule in r.rejected}):
            rejected = [r.rejected.get(rule, 0) for r in last]
            checked = [r.checked for r in last]
            shares = [k / n if n else 0.0 for k, n in zip(rejected, checked, strict=True)]
            newest = last[-1]
            threshold = newest.thresholds.get(rule)
            breached = newest.breached.get(rule, "")
            out.append(
                RuleTrend(
                    table,
                    rule,
                    shares,
                    rejected,
                    checked,
                    threshold,
                    breached,
                    [r.at for r in last],
                    newest.quarantine,
                )
            )
    return out


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """One character per value, scaled to the largest (all zero: the lowest bar)."""
    top = max(values, default=0.0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(
        SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))] for v in values
    )


PAGE_ROWS = 20
# A quarantined line's lineage and what failed, in this order (the rest: `lakeconsole show`).
LINEAGE_COLUMNS = ("_source_file", "_source_row", "detail", "_ingested_at", "_run_id")


def quarantined_page(
    settings: Settings, quarantine: str, rule: str, offset: int = 0, limit: int = PAGE_ROWS
) -> Any:
    """A page of `quarantine`'s lines that failed `rule`, their lineage columns first (a
    core.explorer RowsPage; ExplorerError with the fix when the table cannot be read)."""
    from lakeconsole.core.explorer.filters import parse_row_filter
    from lakeconsole.core.explorer.table import resolve_table
    from lakeconsole.core.explorer.version import rows_page

    path = resolve_table(quarantine, settings.lake_root)
    return rows_page(path, offset=offset, limit=limit, where=parse_row_filter(f"rule={rule}"))


def lineage_columns(names: Iterable[str]) -> list[str]:
    """The lineage columns a page has, in LINEAGE_COLUMNS order."""
    have = set(names)
    return [c for c in LINEAGE_COLUMNS if c in have]
