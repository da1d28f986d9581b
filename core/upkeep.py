"""What upkeep is due: one list the dashboard, `lakeconsole maintain` and `check` all read.

Each area (vacuum, backup, latency) contributes items through a provider function;
`providers()` is the one place that says which areas report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import Location

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
    from lakeconsole.core.backup.status import backup_status
    from lakeconsole.core.maintenance.status import latency_status, vacuum_status

    return [vacuum_status, latency_status, backup_status, state_files_status]


# As many run records as the latency watch reads: the ones anything here looks at.
RUNS_CHECKED = 200


def state_problems(settings: Settings) -> dict[Path | Location, list[str]]:
    """The engine state records (run records, maintenance ledger lines, backup records) skipped
    because they are not of the right shape, by the file or folder they are in; each line names
    its file. (On a lake in a bucket the run records and the ledger are read there; backup
    records where core.backup keeps them.)"""
    from lakeconsole.core.backup.status import backup_state_dir, read_status
    from lakeconsole.core.maintenance.ledger import ledger_path, read_records
    from lakeconsole.core.runs import load_runs, runs_dir
    from lakeconsole.core.storage import state_home

    runs: list[str] = []
    ledger: list[str] = []
    backup: list[str] = []
    state = state_home(settings)
    load_runs(state, limit=RUNS_CHECKED, problems=runs)
    read_records(state, problems=ledger)
    read_status(settings, problems=backup)
    found: dict[Path | Location, list[str]] = {
        runs_dir(state): runs,
        ledger_path(state): ledger,
        backup_state_dir(settings) / "status.json": backup,
    }
    return {where: lines for where, lines in found.items() if lines}


def state_files_status(settings: Settings) -> list[UpkeepItem]:
    """An upkeep item only when some state record was skipped: it is read as if missing."""
    problems = state_problems(settings)
    if not problems:
        return []
    where = " and ".join(f"{len(lines)} in {place}" for place, lines in problems.items())
    detail = f"{where} not of the right shape, read as missing (`lakeconsole maintain` names each)"
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
