"""What upkeep is due: one list the dashboard, `lakeconsole maintain` and `check` all read.

Each area (vacuum, backup, latency) contributes items through a provider function;
`providers()` is the one place that says which areas report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.settings import Settings

log = logging.getLogger("lakeconsole.upkeep")


@dataclass(frozen=True)
class UpkeepItem:
    """One line of the maintenance summary, e.g. vacuum: overdue, '3 tables overdue'."""

    name: str
    last_done: float | None  # epoch seconds, None for never
    overdue: bool
    detail: str


def providers() -> list[Callable[[Settings], list[UpkeepItem]]]:
    """The areas that report upkeep. Imported here, not at the top: they import UpkeepItem."""
    from core.backup.status import backup_status
    from core.maintenance.status import latency_status, vacuum_status

    return [vacuum_status, latency_status, backup_status, state_files_status]


# As many run records as the latency watch reads: the ones anything here looks at.
RUNS_CHECKED = 200


def state_problems(settings: Settings) -> list[str]:
    """One line per engine state file (run record, maintenance ledger line) that was skipped
    because it is not of the right shape; each line names the file."""
    from core.maintenance.ledger import read_records
    from core.runs import load_runs

    problems: list[str] = []
    load_runs(settings.state_dir, limit=RUNS_CHECKED, problems=problems)
    read_records(settings.state_dir, problems=problems)
    return problems


def state_files_status(settings: Settings) -> list[UpkeepItem]:
    """An upkeep item only when some state file was skipped: it is read as if missing."""
    problems = state_problems(settings)
    if not problems:
        return []
    from core.maintenance.ledger import ledger_path
    from core.runs import runs_dir

    runs = sum("not a run record" in p for p in problems)
    where = [f"{runs} run record(s) in {runs_dir(settings.state_dir)}"] if runs else []
    if len(problems) > runs:
        where.append(f"{len(problems) - runs} line(s) of {ledger_path(settings.state_dir)}")
    detail = (
        f"{' and '.join(where)} are not of the right shape and are read as missing "
        "(`lakeconsole maintain` names each)"
    )
    return [UpkeepItem("state files", None, True, detail)]


def upkeep_status(settings: Settings) -> list[UpkeepItem]:
    """Every upkeep item the areas report. Reads the lake: keep it off the UI thread."""
    items: list[UpkeepItem] = []
    for provider in providers():
        try:
            items.extend(provider(settings))
        except Exception as exc:  # one broken area must not hide the others
            log.warning("upkeep check %s failed: %s", provider.__name__, exc)
            items.append(UpkeepItem(provider.__name__, None, False, f"could not check: {exc}"))
    return items
