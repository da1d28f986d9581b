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

    def rows(self, width: int) -> list[str]:
        """The lines wrapped at `width` columns, each continuation indented under its text."""
        return [
            row
            for line in self.lines
            for row in textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False)
        ]

    def wrapped_count(self) -> int | None:
        """The rows the lines take wrapped at the panel's width (None before it has one)."""
        width = self.size.width - UPKEEP_FRAME
        return max(1, len(self.rows(width))) if width > 0 else None

    def wrap_lines(self, wrapped: bool) -> None:
        """Wrapped when every line fits so (a fix at the end of a line is read); one line each,
        cut with an ellipsis, when not (every item still shows, its full text in the tooltip)."""
        if self.lines:
            shown = self.rows(self.size.width - UPKEEP_FRAME) if wrapped else self.lines
            self.query_one(".upkeep-text", Static).update("\n".join(shown))

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
            parts = [f"{ago(self.clock() - item.last_done)} ago"]
        else:
            parts = ["never"] if item.overdue else []
        if item.detail:
            parts.append(item.detail)
        return f"{mark} {item.name}: " + " · ".join(parts)


def ago(s: float) -> str:
    """A rough age: 40s, 5m, 3h, 2d."""
    s = max(0.0, s)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if s >= size:
            return f"{int(s // size)}{unit}"
    return f"{int(s)}s"
