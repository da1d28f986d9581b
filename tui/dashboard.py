"""The dashboard screen: heartbeat and run status, the DAG, landing, latency, maintenance, log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import get_current_worker

from lakeconsole.core.dag import Pipeline
from lakeconsole.core.events import Event, RunStatus, StepFinished, StepState
from lakeconsole.core.lock import LockHolder
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.core.table_facts import TableFacts, tables_facts
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.dag_view import DagView
from lakeconsole.tui.filter_bar import FilterBar
from lakeconsole.tui.footer import FittingFooter
from lakeconsole.tui.in_flight import InFlight
from lakeconsole.tui.keys import FILTER, key_of
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.run_view import RunView
from lakeconsole.tui.summary import Finding, HeartbeatLine, LatencyChart, UpkeepPanel, last_finished
from lakeconsole.tui.watching import FIRST_FRAME_S

# The step cards' tables are looked at this often (a folder listing each while nothing changed):
# a commit by another process, a restore or a maintenance job shows within this.
TABLES_EVERY_S = 5.0
# Rows the rest of the screen takes besides the DAG: status bar, footer, and the log panel's
# smallest useful height (with its border).
STATUS_ROWS, FOOTER_ROWS, LOG_MIN_ROWS = 1, 1, 5
PANELS_MIN_LINES = 4  # the landing / latency / maintenance row, without its borders
# The dashboard's keys by use, for a footer that holds what fits. Idle, at 80 columns: down to
# `quit` (`c`, `/`, `s`, `a`, `L` are in `?`, and `/`, `s`, `a`, `L` named in their panels'
# corners); while this console runs the pipeline, `c` comes first and `f` gives way. At 120
# columns: all of them (`L` as `L Level`, the last to fit).
VIEWS_AND_LOG = ("tables", "maintenance", "backup", "marts", "runs", "logs", "quit")
PANEL_KEYS = ("filter", "dashboard.step-times", "auto-run", "log-level")
FOOTER_IDLE = ("help", "run", "run-from", *VIEWS_AND_LOG, "cancel", *PANEL_KEYS)
FOOTER_RUNNING = ("help", "cancel", *VIEWS_AND_LOG, "run", "run-from", *PANEL_KEYS)
# Where each sits in the footer: the runs, the views, the log and its panels' keys, help, quit.
FOOTER_ORDER = (
    "run",
    "run-from",
    "cancel",
    "tables",
    "maintenance",
    "backup",
    "marts",
    "runs",
    "logs",
    "filter",
    "dashboard.step-times",
    "auto-run",
    "log-level",
    "help",
    "quit",
)


class TablesRead(Message):
    """The step cards' tables as the lake has them now."""

    def __init__(self, tables: dict[str, TableFacts], data_dir: LakePath) -> None:
        super().__init__()
        self.tables = tables
        self.data_dir = data_dir


class DashboardScreen(Screen[None]):
    """Everything at a glance; the app feeds it events, history and upkeep."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # `/` filters the log panel; in the footer when there is room (FOOTER_PRIORITY), and
        # the panel's title shows it.
        replace(FILTER, show=False, tooltip="Find log lines (Enter: apply)"),
        # In the footer when there is room; the latency panel's corner names it.
        Binding(
            "s",
            "toggle_step_times",
            "Steps",
            id="dashboard.step-times",
            show=False,
            tooltip="Latency panel: step times per run",
        ),
    ]
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, FilterBar"  # the log enlarged with `l` can be filtered

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline | None,
        pipeline_error: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(id="dashboard")
        self.settings = settings
        self.pipeline_error = pipeline_error
        self.clock = clock
        self.view = RunView.idle(pipeline) if pipeline is not None else RunView()
        self.outputs = (
            {name: step.outputs for name, step in pipeline.steps.items()} if pipeline else {}
        )
        self.tables: dict[str, TableFacts] = {}
        self.table_reads = InFlight()

    def compose(self) -> ComposeResult:
        with Horizontal(id="status-bar"):
            yield HeartbeatLine("loading run history…", id="heartbeat", markup=False)
            yield Label("idle", id="run-status", markup=False)
        if self.pipeline_error:
            yield Static(self.pipeline_error, id="pipeline-error", markup=False)
        else:
            yield DagView(self.view, self.outputs)
        with Horizontal(id="panels"):
            yield LandingPanel(self.settings, self.settings.auto_run_on_landing)
            yield LatencyChart(id="latency")
            yield UpkeepPanel(self.clock, id="upkeep")
        yield LogPanel(self.settings.log_file, lake_elsewhere=self.settings.on_object_storage)
        yield FilterBar(
            "Log lines containing…, then Enter (Escape: all lines)", id="log-filter", docked=True
        )
        yield FittingFooter(FOOTER_IDLE, FOOTER_ORDER)

    def on_mount(self) -> None:
        # The log's keys on its border, as the latency and landing panels name theirs: the
        # footer has no room for them at 80 columns.
        find, level = (key_of(self, action) for action in ("filter", "log_level"))
        self.log_panel.border_subtitle = f"{find}: filter · {level}: level"
        self.set_interval(0.5, self.tick, name="durations")
        if self.outputs:
            # After the first frame: opening a table imports deltalake (~0.1 s).
            self.set_timer(FIRST_FRAME_S, self.refresh_tables)
            self.set_interval(TABLES_EVERY_S, self.tick_tables, name="step tables")

    # --- the step cards' tables ----------------------------------------------------------

    def tick_tables(self) -> None:
        """The periodic look: skipped while the last one is still reading (a slow bucket)."""
        if not self.table_reads.busy:
            self.refresh_tables()

    def refresh_tables(self) -> None:
        """Read the step cards' tables again (in a thread)."""
        if self.outputs:
            names = [name for outputs in self.outputs.values() for name in outputs]
            self.read_tables(self.settings.lake_root, names, dict(self.tables))

    @work(thread=True, exclusive=True, exit_on_error=False, group="step-tables")
    def read_tables(
        self, data_dir: LakePath, names: list[str], known: dict[str, TableFacts]
    ) -> None:
        """Version, rows and last commit of every table the steps write (from the Delta log)."""
        with self.table_reads:
            tables = tables_facts(data_dir, names, known)
        if not get_current_worker().is_cancelled:  # a newer read was asked for: it answers
            self.post_message(TablesRead(tables, data_dir))

    def on_tables_read(self, message: TablesRead) -> None:
        if message.data_dir != self.settings.lake_root:
            return  # read from the lake shown before a restore or a changed data dir
        self.tables = message.tables
        if self.dag is not None:
            self.dag.show_tables(self.tables, self.clock())

    # --- sizes: the DAG and the maintenance panel take what they show, the log the rest ----

    def on_resize(self, event: events.Resize) -> None:
        self.fit_panels()
        self.call_after_refresh(self.fit_panels)  # the panel's new width: wrap again

    def fit_panels(self) -> None:
        """The maintenance row as tall as its lines (within a share of the screen, wrapped as
        far as that has room for them all), the DAG no taller than leaves the log its least:
        the log panel, 1fr, gets every row left."""
        height = self.size.height
        upkeep = self.query_one(UpkeepPanel)
        room = PANELS_MIN_LINES + max(0, height - 24) // 2
        panels = min(max(PANELS_MIN_LINES, upkeep.fit(room)), room) + 2
        self.query_one("#panels").styles.height = panels
        # Each layer scrolls its cards within what is left (a layer column, not the DAG, has
        # the scrollbar).
        spare = max(height - STATUS_ROWS - FOOTER_ROWS - LOG_MIN_ROWS - panels, 8)
        for layer in self.query(".layer"):
            layer.styles.max_height = spare

    @property
    def dag(self) -> DagView | None:
        found = self.query(DagView)
        return found.first() if found else None

    def selected(self) -> str | None:
        dag = self.dag
        return dag.selected if dag is not None else None

    def set_status(self, text: str, state: str = "idle") -> None:
        label = self.query_one("#run-status", Label)
        label.update(text)
        for name in ("idle", "running", "failed", "external"):
            label.set_class(name == state, f"-{name}")
        # The footer holds what can be done now: `c` while this console's run goes.
        self.query_one(FittingFooter).prioritize(
            FOOTER_RUNNING if state == "running" else FOOTER_IDLE
        )

    def apply_event(self, event: Event) -> None:
        """A runner event from this console's run."""
        step = self.view.apply(event)
        if isinstance(event, StepFinished):
            self.refresh_tables()  # its commits: the card shows the new version now
            # A step that read landing files (bronze) marked them ingested in its ledger: the
            # folder did not change, so the watch alone would say "waiting" until the run ends.
            self.landing.run_worker(self.landing.rescan(), group="landing-scan")
        dag = self.dag
        if dag is None:
            return
        if step is None:  # run started or finished: every card may have changed
            dag.refresh_steps(self.clock())
        else:
            dag.refresh_steps(self.clock(), [step.name])

    def show_record(self, record: RunRecord) -> None:
        """Another process's run, from its record file."""
        self.view.load_record(record)
        if self.dag is not None:
            self.dag.refresh_steps(self.clock())

    def action_toggle_step_times(self) -> None:
        """Which step grew: the latency panel shows each step's time per run, or latency again."""
        chart = self.query_one(LatencyChart)
        chart.show_steps = not chart.show_steps

    def tick(self) -> None:
        """Advance the durations (and throughput) of running steps, and the tables' ages."""
        dag = self.dag
        if dag is None:
            return
        running = [s.name for s in self.view.steps.values() if s.state == StepState.RUNNING]
        if running:
            dag.refresh_steps(self.clock(), running)
        if self.tables:
            dag.show_tables(self.tables, self.clock())

    def show_history(self, runs: list[RunRecord]) -> None:
        self.query_one(HeartbeatLine).show_record(last_finished(runs))
        self.query_one(LatencyChart).show(runs)

    def show_upkeep(
        self, items: list[UpkeepItem], error: str | None, findings: list[Finding] | None
    ) -> None:
        self.query_one(UpkeepPanel).show(items, error, findings)
        self.fit_panels()

    def show_external(self, holder: LockHolder) -> None:
        when = time.strftime("%H:%M:%S", time.localtime(holder.started_at))
        self.set_status(f"run by {holder.command} (pid {holder.pid}) since {when}", "external")

    def show_finished(self, status: RunStatus) -> None:
        state = "idle" if status == RunStatus.SUCCEEDED else "failed"
        self.set_status(f"last run {status.value}", state)
        self.refresh_tables()  # a run in another process ended: its commits are there now

    def repoint(self, settings: Settings) -> None:
        """The lake at `settings.data_dir` is not the one shown (a restore replaced it): the step
        cards go back to idle (their counts were the old lake's run) and read the new lake's
        tables, the landing and log panels watch afresh; heartbeat, latency and maintenance are
        redrawn by the app's new reads."""
        self.settings = settings
        self.view.reset()
        self.tables = {}
        if self.dag is not None:
            self.dag.refresh_steps(self.clock())
            self.dag.show_tables(self.tables, self.clock())
        self.refresh_tables()
        self.set_status("idle")
        self.query_one(HeartbeatLine).update("loading run history…")
        self.landing.repoint(settings)
        self.log_panel.repoint(settings.log_file)

    def action_filter(self) -> None:
        self.query_one("#log-filter", FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        self.log_panel.filter_text(event.text)

    @property
    def landing(self) -> LandingPanel:
        return self.query_one(LandingPanel)

    @property
    def log_panel(self) -> LogPanel:
        return self.query_one(LogPanel)
