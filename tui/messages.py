"""Typed messages that workers post to the console; the only way a thread talks to widgets."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from lakeconsole.core.events import Event
from lakeconsole.core.lock import LockHolder
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.storage import LakePath
from lakeconsole.core.upkeep import UpkeepItem


class RunEvent(Message):
    """An event from the runner of a run this console started."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class HistoryLoaded(Message):
    """Recent runs, newest first."""

    def __init__(self, runs: list[RunRecord]) -> None:
        super().__init__()
        self.runs = runs


class ExternalRun(Message):
    """The lake's lock is held by another process (cron, a terminal); its record so far."""

    def __init__(self, holder: LockHolder | None, record: RunRecord | None) -> None:
        super().__init__()
        self.holder = holder
        self.record = record


class UpkeepLoaded(Message):
    """The maintenance summary, and the governance findings as (rule, subject, message)."""

    def __init__(
        self,
        items: list[UpkeepItem],
        error: str | None = None,
        findings: list[tuple[str, str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.items = items
        self.error = error
        self.findings = findings


class LandingFiles(Message):
    """The files in data/landing: (path, size in bytes), sorted by name. `waiting` names those
    not ingested yet, when the pipeline can tell (None: it cannot, every file is shown alike);
    `rejected` the ones the pipeline refused, with why (None: it cannot tell); `skipped` the
    entries that are not landing files (a folder, a FIFO...), as (name, why)."""

    def __init__(
        self,
        files: list[tuple[Path, int]],
        waiting: set[str] | None = None,
        error: str | None = None,
        rejected: dict[str, str] | None = None,
        skipped: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.files = files
        self.waiting = waiting
        self.rejected = rejected
        self.skipped = skipped or []
        self.error = error


class LakeSwapped(Message):
    """The lake at the data folder was replaced (a restore moved the old one aside): the
    console re-points its panels and watchers (`ConsoleApp.repoint`)."""

    def __init__(self, data_dir: LakePath) -> None:
        super().__init__()
        self.data_dir = data_dir
