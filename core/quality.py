"""Data quality over time: per run, per silver table and per rule, the lines checked and the lines
rejected, kept in `_lakeconsole/quality.jsonl` (one line per table per run that checked lines).

Silver writes a record when its run ends, and also when it stops on `fail_above`, since that
run matters most. A rejected line counts under the first rule it failed, as quarantine
records it, so a table's per-rule counts add up to its quarantined lines. A run that checked
nothing (a no-op) writes nothing. A torn last line (a crash mid-append) is skipped when read."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeconsole.core.settings import Settings

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
    stopped: bool = False  # the step stopped on fail_above

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def ledger_path(state_dir: Path) -> Path:
    return state_dir / LEDGER


def record_quality(settings: Settings, record: QualityRecord) -> None:
    """Append one record, durable before returning; a failure to write is logged, not raised
    (the run's data is already committed: losing a quality line must not fail it)."""
    if not record.checked:
        return
    line = json.dumps(record.__dict__, sort_keys=True) + "\n"
    path = ledger_path(settings.state_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        log.warning("quality of %s in run %s not recorded: %s", record.table, record.run_id, exc)


def read_quality(state_dir: Path, table: str | None = None) -> list[QualityRecord]:
    """Every record, oldest first (of `table` when given); a line that is not one is skipped
    with a warning naming the file and line."""
    path = ledger_path(state_dir)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
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
    )


@dataclass(frozen=True)
class RuleTrend:
    """One rule of one table over its last runs: the rejected share per run, oldest first."""

    table: str
    rule: str
    shares: list[float]  # rejected / checked, per run
    rejected: list[int]
    checked: list[int]

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
            out.append(RuleTrend(table, rule, shares, rejected, checked))
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
