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

    return [vacuum_status, latency_status, backup_status]


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
