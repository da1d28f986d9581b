"""The maintenance view: per-table vacuum state, VACUUM with a dry-run preview, OPTIMIZE /
Z-ORDER, and the latency chart with the creep warning (OPS-03, OPS-09).

Every lake call runs in a thread worker that posts messages; the widgets are touched only here,
on the UI thread. VACUUM and OPTIMIZE can be cancelled between tables.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.maintenance.latency import LatencyWatch
from lakeconsole.core.maintenance.optimize import OptimizeResult
from lakeconsole.core.maintenance.status import TableUpkeep
from lakeconsole.core.maintenance.tables import MIN_RETENTION_HOURS, TableFiles
from lakeconsole.core.maintenance.vacuum import VacuumPlan, VacuumResult
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.core.units import ago, human_bytes
from lakeconsole.tui.charts import part_bar
from lakeconsole.tui.fitted_columns import Cell, Column, fit_columns
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.latency_panel import LatencyTrend
from lakeconsole.tui.screens.view import ConsoleView

log = logging.getLogger("lakeconsole.maintenance")
FORCE_WORD = "FORCE"
# rank 0 stays: at 80 columns the files bar, then the file count, give way to the vacuum state.
COLUMNS = (
    Column("Table", rank=0, flex=True, min_width=16),
    Column("Files", rank=5),
    Column("Files (▓ small)", rank=6),
    Column("Size", rank=4),
    Column("Last vacuum", rank=0),
    Column("Overdue", rank=0),
    Column("Retention", rank=3),
)
FILES_BAR_CELLS = 15  # as wide as its heading
PLACEHOLDER_REASON = "(asked on confirmation)"


@dataclass(frozen=True)
class Overview:
    """What the view shows, gathered off the UI thread."""

    tables: list[tuple[TableUpkeep, TableFiles | None]]
    latency: LatencyWatch
    candidates: list[tuple[str, str]]


class OverviewLoaded(Message):
    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview


class PlansReady(Message):
    def __init__(self, plans: list[VacuumPlan]) -> None:
        super().__init__()
        self.plans = plans


class WorkProgress(Message):
    def __init__(self, done: int, total: int, what: str) -> None:
        super().__init__()
        self.done, self.total, self.what = done, total, what


class WorkFinished(Message):
    def __init__(self, lines: list[str], cancelled: bool) -> None:
        super().__init__()
        self.lines, self.cancelled = lines, cancelled


class VacuumPreviewScreen(ModalScreen[str | None]):
    """The dry-run list and the confirmation. Dismisses with the reason ('' when not forced),
    or None when cancelled. Forcing under 168 h needs a reason and the typed word FORCE."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="maintenance.preview.close"),
    ]

    def __init__(self, plans: list[VacuumPlan]) -> None:
        super().__init__(classes="dialog")
        self.plans = plans
        self.forced = any(p.forced for p in plans)

    def compose(self) -> ComposeResult:
        files = sum(len(p.files) for p in self.plans)
        total = human_bytes(sum(p.bytes for p in self.plans))
        with Vertical(classes="dialog-box", id="vacuum-preview"):
            # Nothing to delete still counts as a vacuum (OPS-03's weekly date): say what it does.
            which = "this table was" if len(self.plans) == 1 else "these tables were"
            title = (
                f"VACUUM: {files} file(s), {total} would be deleted"
                if files
                else f"VACUUM: nothing to delete; Vacuum records that {which} vacuumed"
            )
            yield Label(title, classes="dialog-title")
            with VerticalScroll(id="preview-files"):
                yield Static("\n".join(_plan_lines(self.plans)), markup=False)
            if self.forced:
                hours = self.plans[0].retention_hours
                yield Static(
                    f"Retention {hours} h is below the {MIN_RETENTION_HOURS} h minimum (OPS-03). "
                    f"Give a reason and type {FORCE_WORD} to override; both are logged.",
                    classes="dialog-body warning",
                    markup=False,
                )
                yield Input(placeholder="reason (logged)", id="reason")
                yield Input(placeholder=f"type {FORCE_WORD}", id="typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    "Vacuum",
                    id="confirm",
                    variant="error" if self.forced else "primary",
                    disabled=self.forced,
                )

    def on_mount(self) -> None:
        # The safe answer has the focus: a stray Enter must not delete anything.
        self.query_one("#reason" if self.forced else "#cancel").focus()

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#confirm", Button).disabled = not self._force_ok()

    def _force_ok(self) -> bool:
        if not self.forced:
            return True
        reason = self.query_one("#reason", Input).value.strip()
        return bool(reason) and self.query_one("#typed", Input).value.strip() == FORCE_WORD

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "confirm":
            self.dismiss(None)
        elif self._force_ok():
            self.dismiss(self.query_one("#reason", Input).value.strip() if self.forced else "")

    def action_cancel(self) -> None:
        self.dismiss(None)


def _plan_lines(plans: list[VacuumPlan]) -> list[str]:
    lines: list[str] = []
    for plan in plans:
        lines.append(plan.summary())
        lines += [f"  {f.path}  {human_bytes(f.bytes)}  ({f.kind})" for f in plan.files[:200]]
        if len(plan.files) > 200:
            lines.append(f"  … and {len(plan.files) - 200} more")
        lines += [f"  keeps {k}: not a data file" for k in plan.kept]
    return lines


def _row(
    upkeep: TableUpkeep, files: TableFiles | None, now: float, most_files: int, small_style: str
) -> tuple[Cell, ...]:
    """One table's cells: name, files, the files as a bar (small ones shaded) on the scale of the
    table with the most, size, last vacuum, overdue, retention property."""
    retention = "default" if upkeep.retention_hours is None else f"{upkeep.retention_hours:g} h"
    if upkeep.retention_flagged:
        retention += f" ⚠ under {MIN_RETENTION_HOURS} h"
    return (
        upkeep.name,
        "?" if files is None else str(files.files),
        ""
        if files is None
        else part_bar(files.small_files, files.files, most_files, FILES_BAR_CELLS, small_style),
        "?" if files is None else human_bytes(files.bytes),
        _ago(upkeep.last_vacuum, now),
        "OVERDUE" if upkeep.overdue else "no",
        retention,
    )


def _ago(at: float | None, now: float) -> str:
    return "never" if at is None else ago(now - at)


class MaintenanceScreen(ConsoleView):
    """Vacuum, optimize and the latency watch, for every table of the lake."""

    CSS_PATH = "maintenance.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "v",
            "vacuum(False)",
            "Vacuum",
            id="maintenance.vacuum",
            tooltip="Vacuum the table (preview first)",
        ),
        Binding(
            "V",
            "vacuum(True)",
            "Vacuum all",
            id="maintenance.vacuum-all",
            tooltip="Vacuum every table (preview first)",
        ),
        Binding(
            "o",
            "optimize(False)",
            "Optimize",
            id="maintenance.optimize",
            tooltip="Compact the selected table",
        ),
        Binding(
            "z",
            "optimize(True)",
            "Z-order",
            id="maintenance.zorder",
            tooltip="OPTIMIZE the table with Z-ORDER",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="maintenance.refresh",
            tooltip="Reload tables and latency watch",
            show=False,  # rare: in `?`, as on every view (the footer is full at 80 columns)
        ),
        Binding(
            "x",
            "cancel_work",
            "Stop",
            id="maintenance.stop",
            tooltip="Stop after the current table",
        ),
        Binding("escape", "back", "Back", id="maintenance.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.cancel = threading.Event()
        self.busy = False
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield Label("Maintenance (OPS-03 vacuum, OPS-09 latency)", id="maintenance-title")
        yield DataTable(id="maintenance-tables", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="maintenance-controls"):
            yield Label("Retention hours:")
            yield Input(str(self.settings.vacuum_retention_hours), id="retention", type="integer")
            yield ProgressBar(id="maintenance-progress", show_eta=False)
        yield Static("", id="maintenance-status", markup=False)
        yield Label("End-to-end latency of recent runs", id="latency-title")
        yield LatencyTrend(id="latency-chart")
        yield Static("", id="latency-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.rows: list[tuple[Cell, ...]] = []
        self.keys: list[str] = []
        self.paths: dict[str, LakePath] = {}
        self._show_progress(False)
        self.action_refresh()

    # --- loading -------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self._status("loading…")
        self.load_overview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="maintenance-load")
    def load_overview(self) -> None:
        from lakeconsole.core.maintenance.latency import latency_watch, optimize_candidates
        from lakeconsole.core.maintenance.status import table_upkeep
        from lakeconsole.core.maintenance.tables import table_files

        rows: list[tuple[TableUpkeep, TableFiles | None]] = []
        for t in table_upkeep(self.settings):
            try:
                files: TableFiles | None = table_files(t.path)
            except Exception:  # one unreadable table must not hide the others
                files = None
            rows.append((t, files))
        watch = latency_watch(self.settings)
        candidates = optimize_candidates(self.settings) if watch.creeping else []
        self.post_message(OverviewLoaded(Overview(rows, watch, candidates)))

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        now = time.time()
        most = max((f.files for _, f in message.overview.tables if f is not None), default=0)
        small = self.app.theme_variables.get("warning", "")  # small files are a warning sign
        self.rows = [_row(up, files, now, most, small) for up, files in message.overview.tables]
        self.keys = [str(upkeep.path) for upkeep, _ in message.overview.tables]
        # A row's key is text: the table it names, a folder or an object-store location.
        self.paths = {str(upkeep.path): upkeep.path for upkeep, _ in message.overview.tables}
        self._fill()
        watch = message.overview.latency
        self.query_one("#latency-chart", LatencyTrend).points = watch.points[-60:]
        text = watch.message
        if watch.creeping:
            names = ", ".join(f"{n} ({why})" for n, why in message.overview.candidates)
            text += f"\nOptimize candidates: {names or 'none with many small files'}. Press z."
        latency = self.query_one("#latency-text", Static)
        latency.update(text)
        latency.set_class(watch.creeping, "creeping")
        if self._status_text == "loading…":  # keep the outcome of the last vacuum/optimize
            self._status(f"{len(message.overview.tables)} table(s)")

    def on_resize(self, event: Resize) -> None:
        if self.rows:
            self._fill()

    def _fill(self) -> None:
        # Explicit widths from the content and the screen (auto-width columns measured on idle
        # came out clipped after a reload). Rebuilding keeps the user's row by index.
        table = self.query_one("#maintenance-tables", DataTable)
        fit_columns(table, COLUMNS, self.rows, self.keys, self.size.width)

    # --- vacuum --------------------------------------------------------------------------
    def _selected(self, every: bool) -> list[LakePath]:
        table = self.query_one("#maintenance-tables", DataTable)
        if every:
            return [self.paths[str(k.value)] for k in table.rows]
        if table.row_count == 0:
            return []
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return [self.paths[str(key.value)]]

    def _retention(self) -> int | None:
        raw = self.query_one("#retention", Input).value.strip()
        if not raw.isdigit():
            self.notify("Retention hours must be a whole number", severity="error")
            return None
        return int(raw)

    def _idle(self) -> bool:
        if self.busy:
            stop = key_of(self, "cancel_work")
            self.notify(f"Still working: press {stop} to stop it first", severity="warning")
        return not self.busy

    def action_vacuum(self, every: bool) -> None:
        if not self._idle():
            return
        tables, hours = self._selected(every), self._retention()
        if hours is None:
            return
        if not tables:
            self.notify("No tables in the lake yet", severity="warning")
            return
        self._status("dry run…")
        self.plan_vacuum(tables, hours)

    @work(thread=True, exclusive=True, exit_on_error=False, group="maintenance-plan")
    def plan_vacuum(self, tables: list[LakePath], hours: int) -> None:
        from lakeconsole.core.maintenance.vacuum import plan_tables

        forced = hours < MIN_RETENTION_HOURS
        reason = PLACEHOLDER_REASON if forced else ""
        plans = plan_tables(tables, self.settings, hours, force=forced, reason=reason)
        self.post_message(PlansReady(plans))

    def on_plans_ready(self, message: PlansReady) -> None:
        self._status("waiting for confirmation")

        def confirmed(reason: str | None) -> None:
            if reason is None:
                self._status("vacuum cancelled: nothing deleted")
                return
            plans = [replace(p, reason=reason) if p.forced else p for p in message.plans]
            self._start()
            self.run_vacuum(plans)

        self.app.push_screen(VacuumPreviewScreen(message.plans), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="maintenance-work")
    def run_vacuum(self, plans: list[VacuumPlan]) -> None:
        from lakeconsole.core.maintenance.vacuum import vacuum_tables

        results: list[VacuumResult] = vacuum_tables(
            plans, self.settings, progress=self._progress, cancel=self.cancel
        )
        lines = [r.summary() for r in results]
        self.post_message(WorkFinished(lines, len(results) < len(plans)))

    # --- optimize ------------------------------------------------------------------------
    def action_optimize(self, zorder: bool) -> None:
        tables = self._selected(False)
        if not self._idle() or not tables:
            return
        self._start()
        self.run_optimize(tables, zorder)

    @work(thread=True, exclusive=True, exit_on_error=False, group="maintenance-work")
    def run_optimize(self, tables: list[LakePath], zorder: bool) -> None:
        from lakeconsole.core.maintenance.optimize import optimize_tables

        results: list[OptimizeResult] = optimize_tables(
            tables, self.settings, zorder, progress=self._progress, cancel=self.cancel
        )
        self.post_message(WorkFinished([r.summary() for r in results], len(results) < len(tables)))

    # --- progress, cancel, errors ----------------------------------------------------------
    def _progress(self, done: int, total: int, what: str) -> None:
        self.post_message(WorkProgress(done, total, what))  # thread-safe: no widget touched

    def _start(self) -> None:
        self.busy = True
        self.cancel.clear()
        self.query_one("#maintenance-progress", ProgressBar).update(total=None, progress=0)
        self._show_progress(True)

    def _show_progress(self, busy: bool) -> None:
        # Without a job a bar with no total would pulse as if something ran: show none.
        self.query_one("#maintenance-progress", ProgressBar).display = busy

    def on_work_progress(self, message: WorkProgress) -> None:
        bar = self.query_one("#maintenance-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        if message.what != "done":
            self._status(f"[{message.done + 1}/{message.total}] {message.what}…")

    def on_work_finished(self, message: WorkFinished) -> None:
        self.busy = False
        self._show_progress(False)
        tail = "; stopped by you" if message.cancelled else ""
        self._status("; ".join(message.lines) + tail if message.lines else "nothing done" + tail)
        self.load_overview()  # quietly: the status line keeps the outcome

    def action_cancel_work(self) -> None:
        if self.busy:
            self.cancel.set()
            self._status("stopping after the current table…")
        else:
            self._status("nothing running to stop")

    def action_back(self) -> None:
        self.cancel.set()  # leaving stops long work at its next table
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        from lakeconsole.core.runner import describe_error
        from lakeconsole.tui.modals import ErrorScreen

        self.busy = False
        self._show_progress(False)
        error = event.worker.error
        log.error("maintenance view: %s failed", event.worker.group, exc_info=error)
        message = describe_error(error) if error else "unknown error"
        self._status(f"failed: {message}")
        self.app.push_screen(ErrorScreen(message, title="Maintenance failed", where="logs/app.log"))

    def _status(self, text: str) -> None:
        self._status_text = text
        self.query_one("#maintenance-status", Static).update(text)
