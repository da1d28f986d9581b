"""The dashboard screen: heartbeat and run status, the DAG, landing, latency, maintenance, log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from lakeconsole.core.dag import Pipeline
from lakeconsole.core.events import Event, RunStatus, StepState
from lakeconsole.core.lock import LockHolder
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.settings import Settings
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.dag_view import DagView
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.run_view import RunView
from lakeconsole.tui.summary import Finding, HeartbeatLine, LatencyChart, UpkeepPanel, last_finished


class DashboardScreen(Screen[None]):
    """Everything at a glance; the app feeds it events, history and upkeep."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Named in the latency panel's corner rather than the footer, which is full at 80 columns.
        Binding(
            "s",
            "toggle_step_times",
            "Steps",
            id="dashboard.step-times",
            show=False,
            tooltip="Latency panel: step times per run",
        ),
    ]

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

    def compose(self) -> ComposeResult:
        with Horizontal(id="status-bar"):
            yield HeartbeatLine("loading run history…", id="heartbeat", markup=False)
            yield Label("idle", id="run-status", markup=False)
        if self.pipeline_error:
            yield Static(self.pipeline_error, id="pipeline-error", markup=False)
        else:
            yield DagView(self.view)
        with Horizontal(id="panels"):
            yield LandingPanel(self.settings, self.settings.auto_run_on_landing)
            yield LatencyChart(id="latency")
            yield UpkeepPanel(self.clock, id="upkeep")
        yield LogPanel(self.settings.log_file)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(0.5, self.tick, name="durations")

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

    def apply_event(self, event: Event) -> None:
        """A runner event from this console's run."""
        step = self.view.apply(event)
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
        """Advance the durations of running steps."""
        running = [s.name for s in self.view.steps.values() if s.state == StepState.RUNNING]
        if running and self.dag is not None:
            self.dag.refresh_steps(self.clock(), running)

    def show_history(self, runs: list[RunRecord]) -> None:
        self.query_one(HeartbeatLine).show_record(last_finished(runs))
        self.query_one(LatencyChart).show(runs)

    def show_upkeep(
        self, items: list[UpkeepItem], error: str | None, findings: list[Finding] | None
    ) -> None:
        self.query_one(UpkeepPanel).show(items, error, findings)

    def show_external(self, holder: LockHolder) -> None:
        when = time.strftime("%H:%M:%S", time.localtime(holder.started_at))
        self.set_status(f"run by {holder.command} (pid {holder.pid}) since {when}", "external")

    def show_finished(self, status: RunStatus) -> None:
        state = "idle" if status == RunStatus.SUCCEEDED else "failed"
        self.set_status(f"last run {status.value}", state)

    def repoint(self, settings: Settings) -> None:
        """The lake at `settings.data_dir` is not the one shown (a restore replaced it): the step
        cards go back to idle (their counts were the old lake's run), the landing and log panels
        watch afresh; heartbeat, latency and maintenance are redrawn by the app's new reads."""
        self.settings = settings
        self.view.reset()
        if self.dag is not None:
            self.dag.refresh_steps(self.clock())
        self.set_status("idle")
        self.query_one(HeartbeatLine).update("loading run history…")
        self.landing.repoint(settings)
        self.log_panel.repoint(settings.log_file)

    @property
    def landing(self) -> LandingPanel:
        return self.query_one(LandingPanel)

    @property
    def log_panel(self) -> LogPanel:
        return self.query_one(LogPanel)
