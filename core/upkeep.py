"""What upkeep is due: one list the dashboard, `lakeconsole maintain` and `check` all read.

Each area (vacuum, backup, latency) contributes items through a provider function; the list
of providers is the one place that says which areas exist.
"""

from __future__ import annotations

import importlib
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


# "module:function" providers, each `(settings) -> list[UpkeepItem]`. A provider that is not
# installed yet is skipped, so the summary shows what exists.
PROVIDERS: tuple[str, ...] = (
    "core.maintenance.status:vacuum_status",
    "core.maintenance.status:latency_status",
    "core.backup.status:backup_status",
)


def _load(spec: str) -> Callable[[Settings], list[UpkeepItem]] | None:
    module, _, func = spec.partition(":")
    try:
        provider: Callable[[Settings], list[UpkeepItem]] = getattr(
            importlib.import_module(module), func
        )
    except (ImportError, AttributeError):
        return None
    return provider


def upkeep_status(settings: Settings) -> list[UpkeepItem]:
    """Every upkeep item the installed areas report. Reads the lake: keep it off the UI thread."""
    items: list[UpkeepItem] = []
    for spec in PROVIDERS:
        provider = _load(spec)
        if provider is None:
            continue
        try:
            items.extend(provider(settings))
        except Exception as exc:  # one broken area must not hide the others
            log.warning("upkeep provider %s failed: %s", spec, exc)
            items.append(UpkeepItem(spec.split(":")[1], None, False, f"could not check: {exc}"))
    return items
