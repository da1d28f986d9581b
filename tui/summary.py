"""The last run's heartbeat (OPS-09), recent latency as a chart, and the maintenance summary."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lakeconsole.core.events import RunStatus
from lakeconsole.core.heartbeat import heartbeat_line, is_success
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.units import age
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.latency_panel import LatencyChart

__all__ = ["Finding", "HeartbeatLine", "LatencyChart", "UpkeepPanel", "last_finished"]

UPKEEP_FRAME = 5  # the maintenance panel's columns around its text: border 2, padding 2, scrollbar


def last_finished(runs: list[RunRecord]) -> RunRecord | None:
    return next((r for r in runs if r.status != RunStatus.RUNNING.value), None)


class HeartbeatLine(Static):
    """The OPS-09 line as the CLI prints it: green `✓ Pipeline Finished…` or red `✗ …`."""

    def show(
        self,
        status: RunStatus | str | None,
        records: int = 0,
        error: str | None = None,
        wrote: dict[str, int] | None = None,
    ) -> None:
        if status is None:
            # The key as bound now: a CONSOLE_KEYMAP may have moved `run` off r.
            self.update(f"No runs yet: press {key_of(self.screen, 'run')} to run the pipeline")
            self.set_class(False, "-ok")
            self.set_class(False, "-failed")
            return
        if status == RunStatus.ABORTED.value:
            status, error = (
                RunStatus.FAILED,
                error or "the run's process stopped before the end (aborted)",
            )
        ok = is_success(status)
        self.update(heartbeat_line(status, records, error, wrote))
        self.set_class(ok, "-ok")
        self.set_class(not ok, "-failed")

    def show_record(self, record: RunRecord | None) -> None:
        if record is None:
            self.show(None)
        else:
            wrote = {s.name: s.records_out for s in record.steps}
            self.show(record.status, record.records_processed, record.error, wrote)


Finding = tuple[str, str, str]  # (rule, subject, message), as `lakeconsole check` prints them


class UpkeepPanel(VerticalScroll, can_focus=True):
    """Last vacuum, last backup, what is overdue, then the governance findings. Every line is
    shown, or the bottom border says how many are and that the rest is a scroll away."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("checking…", classes="upkeep-text", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Maintenance"

    @property
    def line_count(self) -> int:
        return max(1, len(self.lines))

    def rows(self, width: int, room: int) -> list[str]:
        """The lines wrapped at `width` columns (each continuation indented under its text) in
        at most `room` rows: one row each first, then the rows left go round the lines, the
        `!` ones (a fix to make) first, so a fix at the end of a line is read; a line cut short
        keeps its rest on its last row, which the panel ends with an ellipsis. More lines than
        rows: one row each (the panel scrolls)."""
        wrapped = [
            textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False) or [""]
            for line in self.lines
        ]
        if len(wrapped) > room:
            return list(self.lines)
        allotted = [1] * len(wrapped)
        spare = room - len(wrapped)
        order = sorted(range(len(wrapped)), key=lambda i: not self.lines[i].startswith("! "))
        while spare > 0 and any(allotted[i] < len(wrapped[i]) for i in order):
            for i in order:
                if spare > 0 and allotted[i] < len(wrapped[i]):
                    allotted[i] += 1
                    spare -= 1
        out: list[str] = []
        for rows, n in zip(wrapped, allotted, strict=True):
            kept = rows[:n]
            if n < len(rows):  # the rest on its last row, for the panel to cut with "…"
                kept[-1] = ("  " if n > 1 else "") + " ".join(r.strip() for r in rows[n - 1 :])
            out.extend(kept)
        return out

    def fit(self, room: int) -> int:
        """Show the lines in at most `room` rows (rows()); returns the rows shown."""
        width = self.size.width - UPKEEP_FRAME
        if not self.lines or width <= 0:
            return self.line_count
        shown = self.rows(width, room)
        self.query_one(".upkeep-text", Static).update("\n".join(shown))
        return len(shown)

    def show(
        self,
        items: list[UpkeepItem],
        error: str | None = None,
        findings: list[Finding] | None = None,
    ) -> None:
        """Upkeep items first; findings after them, less those that repeat an upkeep item."""
        text = self.query_one(".upkeep-text", Static)
        names = {i.name for i in items}
        extra = [f for f in findings or [] if f[1] not in names]
        lines = [self.line(i) for i in items] + [
            f"! {rule} {subject}: {msg}" for rule, subject, msg in extra
        ]
        # "N to fix" is the number of "!" lines listed: each one can be scrolled to.
        to_fix = sum(line.startswith("! ") for line in lines)
        if error:
            lines.insert(0, f"could not check: {error}")
        self.lines = lines
        self.set_class(bool(to_fix) or error is not None, "-overdue")
        self.border_title = f"Maintenance · {to_fix} to fix" if to_fix else "Maintenance"
        text.update("\n".join(lines) if lines else "nothing to check yet")
        self.tooltip = "\n".join(lines) or None
        self.call_after_refresh(self.say_how_many_shown)

    def say_how_many_shown(self) -> None:
        """'3 of 7 shown, scroll' when the panel is shorter than its lines; nothing when all fit."""
        visible = self.scrollable_content_region.height
        n = len(self.lines)
        self.border_subtitle = f"{visible} of {n} shown, scroll" if 0 < visible < n else ""

    def on_resize(self) -> None:
        self.say_how_many_shown()

    def line(self, item: UpkeepItem) -> str:
        mark = "!" if item.overdue else "·"
        # "never" only matters for upkeep that is due (a vacuum, a backup); a check such as the
        # retention flag has no "last done" and reads better as its detail alone.
        if item.last_done is not None:
            parts = [f"{age(self.clock() - item.last_done, short=True)} ago"]
        else:
            parts = ["never"] if item.overdue else []
        if item.detail:
            parts.append(item.detail)
        return f"{mark} {item.name}: " + " · ".join(parts)
