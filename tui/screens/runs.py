"""The runs view: recent runs (status, trigger, duration, records), and one run's steps on a
timeline with their counts, warnings and error; a failed run re-runs from its failed step.

The console face of `lakeconsole runs` (cli/runs.py): both read core.runs and draw with
core.run_timeline. Record files are read in thread workers that post messages."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from lakeconsole.core.run_timeline import (
    MARKS,
    axis,
    axis_span,
    engines_line,
    fit,
    run_duration,
    run_summary,
    seconds,
    timeline,
    trigger_text,
)
from lakeconsole.core.runs import RunRecord, Trigger
from lakeconsole.core.settings import Settings
from lakeconsole.core.units import count
from lakeconsole.tui.in_flight import InFlight
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.screens.view import ConsoleView

if TYPE_CHECKING:
    from lakeconsole.tui.app import ConsoleApp

RUNS_SHOWN = 50
POLL_S = 1.0  # a new run, or a step of a running one, shows within a second
COLUMNS = ("Started", "Status", "Trigger", "Took", "Records", "Error")
TAIL = 20  # at least: a step's counts, or the start of why it did not run, after its bar
FIXED_COLUMNS = 58  # the columns before Error, with the table's padding, at their widest
# The theme colour of each status and step state (theme variables, so NO_COLOR works too);
# what did not run is dim (the theme's muted text is not a colour Rich knows).
COLOURS = {"succeeded": "success", "failed": "error", "running": "warning"}
DIM = frozenset({"cancelled", "aborted", "skipped"})


class RunsLoaded(Message, bubble=False):
    def __init__(self, runs: list[RunRecord], problems: list[str]) -> None:
        super().__init__()
        self.runs, self.problems = runs, problems


class RunLoaded(Message, bubble=False):
    def __init__(self, run: RunRecord | None) -> None:
        super().__init__()
        self.run = run


def palette(screen: Screen[Any]) -> dict[str, str]:
    """The style of each status and step state in the theme in use (read once per drawing)."""
    theme = screen.app.get_css_variables()
    return {word: theme.get(name, "") for word, name in COLOURS.items()} | dict.fromkeys(DIM, "dim")


def now_of(screen: Screen[Any]) -> float:
    """The console's clock (fixed in snapshot tests)."""
    return cast("ConsoleApp", screen.app).clock()


def rerun_from_failed_step(screen: Screen[Any], record: RunRecord) -> bool:
    """Start a run at `record`'s failed step through the console's own way of starting runs
    (the dashboard's run from): refused with a notice when a run is going. → started?"""
    app = cast("ConsoleApp", screen.app)
    step = record.failed_step
    if step is None:
        run_key = key_of(screen, "run")
        screen.notify(
            f"This run did not fail: there is no failed step to re-run from ({run_key} runs "
            "the whole pipeline).",
            severity="warning",
        )
        return False
    if app.pipeline is not None and step not in app.pipeline.steps:
        screen.notify(
            f"The pipeline has no step '{step}' any more: nothing to re-run from.",
            severity="warning",
        )
        return False
    if not app.start_run(step, Trigger.CONSOLE):
        return False
    screen.notify(f"Re-running from {step}, the step that failed in this run.")
    return True


class RunList(DataTable[Text]):
    """Recent runs; Enter (shown in the footer) opens the selected one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="runs.open", tooltip="Open the selected run"),
    ]

    def watch_loading(self, loading: bool) -> None:
        # As the tables list: a list done loading lends its Enter to the footer again.
        self.refresh_bindings()


class RunsViewScreen(ConsoleView):
    """A screen of the runs view: its own keys in the footer, the console's behind `?`
    (tui/screens/view.py, as every view)."""


class RunsScreen(RunsViewScreen):
    """Recent runs, newest first, with what started them."""

    CSS_PATH = "runs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f",
            "run_from",
            "Re-run",
            id="runs.run-from",
            tooltip="Re-run the selected run from its failed step",
        ),
        Binding("escape", "back", "Back", id="runs.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.runs: dict[str, RunRecord] = {}
        self._folder_seen: object = None
        self.reads = InFlight()
        self._running_shown = False
        self._shown: RunsLoaded | None = None  # the list on the screen, for a resize
        self._shown_width = 0

    def compose(self) -> ComposeResult:
        yield Label("Runs: newest first", id="runs-title", classes="title")
        yield RunList(id="runs-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-error", markup=False)
        yield Static("loading…", id="runs-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(RunList)
        table.add_columns(*COLUMNS)
        table.loading = True
        self.poll_runs()
        self.set_interval(POLL_S, self.tick_runs, name="poll runs")

    def tick_runs(self) -> None:
        if not self.reads.busy:  # a slow bucket: the last read is still going
            self.poll_runs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-load")
    def poll_runs(self) -> None:
        """Read the records again when the runs folder changed (each record write renames a
        file into it), so a run started anywhere shows; and at every poll while one goes, so its
        steps and its end show even within one tick of the folder's clock, and a run whose
        process died turns `aborted`."""
        from lakeconsole.core.runs import load_runs, runs_stamp
        from lakeconsole.core.storage import state_home

        state = state_home(self.settings)
        with self.reads:
            stamp = runs_stamp(state)
            if stamp == self._folder_seen and not self._running_shown:
                return
            self._folder_seen = stamp
            problems: list[str] = []
            runs = load_runs(state, limit=RUNS_SHOWN, problems=problems)
        self.post_message(RunsLoaded(runs, problems))

    def on_resize(self, event: Resize) -> None:
        # The error column takes the width left by the others: fitted again to the new width.
        if self._shown is not None and event.size.width != self._shown_width:
            self.on_runs_loaded(self._shown)

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        self._shown, self._shown_width = message, self.size.width
        table = self.query_one(RunList)
        table.loading = False
        selected = self.selected()
        # The columns too: a column keeps the width of its widest cell ever, so a narrower
        # terminal would get the error column at the old width, cut at the edge.
        table.clear(columns=True)
        table.add_columns(*COLUMNS)
        self.runs = {r.run_id: r for r in message.runs}
        self._running_shown = any(r.status == "running" for r in message.runs)
        error_width = max(10, self.size.width - FIXED_COLUMNS)
        now, styles = now_of(self), palette(self)
        for r in message.runs:
            table.add_row(
                Text(time.strftime("%m-%d %H:%M:%S", time.localtime(r.started_at))),
                Text(f"{MARKS.get(r.status, '·')} {r.status}", style=styles.get(r.status, "")),
                Text(trigger_text(r)),
                Text(seconds(run_duration(r, now)) or "-", justify="right"),
                Text(count(r.records_processed), justify="right"),
                Text(fit(r.error or "", error_width), style=styles["failed"]),
                key=r.run_id,
            )
        if selected is not None and selected.run_id in self.runs:
            table.move_cursor(row=table.get_row_index(selected.run_id))
        self.query_one("#runs-status", Static).update(self.summary(message))
        if message.runs:
            table.focus()

    def summary(self, message: RunsLoaded) -> str:
        if message.problems:
            return message.problems[0]
        runs = message.runs
        if not runs:
            return f"No runs yet: press {key_of(self, 'run')} to run the pipeline."
        failed = sum(r.status == "failed" for r in runs)
        shown = f"{len(runs)} run(s)" + (f", {failed} failed" if failed else "")
        rerun = key_of(self, "run_from")
        return f"{shown}. Enter: open a run; {rerun}: re-run from its failed step"

    def selected(self) -> RunRecord | None:
        table = self.query_one(RunList)
        if not self.runs or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.runs.get(str(key.value))

    @on(DataTable.RowHighlighted, "#runs-list")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The error column is narrow at 80 columns: the selected run's error in full here.
        record = self.runs.get(str(event.row_key.value))
        error = self.query_one("#runs-error", Static)
        error.update(f"✗ {record.error}" if record and record.error else "")
        error.display = bool(record and record.error)

    @on(DataTable.RowSelected, "#runs-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        record = self.runs.get(str(event.row_key.value))
        if record is not None:
            self.app.push_screen(RunScreen(self.settings, record))

    def action_run_from(self) -> None:
        record = self.selected()
        if record is None:
            self.notify("No run selected.", severity="warning")
            return
        rerun_from_failed_step(self, record)

    def action_back(self) -> None:
        self.app.pop_screen()


class RunScreen(RunsViewScreen):
    """One run: its steps on a shared time axis, their counts, the warnings and the error."""

    CSS_PATH = "runs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f",
            "run_from",
            "Re-run",
            id="run.run-from",
            tooltip="Re-run this run from its failed step",
        ),
        Binding("escape", "back", "Back", id="run.back", tooltip="Back to the runs"),
    ]

    def __init__(self, settings: Settings, record: RunRecord) -> None:
        super().__init__()
        self.settings = settings
        self.record = record

    def compose(self) -> ComposeResult:
        yield Static("", id="run-title", classes="title")
        yield Static("", id="run-summary", classes="summary")
        with VerticalScroll(id="run-body"):
            yield Static("", id="run-timeline")
            yield Static("", id="run-problems")
        yield Static("", id="run-hint", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        if self.record.status == "running":
            self.set_interval(POLL_S, self.reload, name="poll run")

    def on_resize(self, event: Resize) -> None:
        # Textual calls ConsoleView's handler too (the footer's width style).
        self.show()  # the bars take the width there is

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-load")
    def reload(self) -> None:
        from lakeconsole.core.runs import load_run
        from lakeconsole.core.storage import state_home

        self.post_message(RunLoaded(load_run(state_home(self.settings), self.record.run_id)))

    def on_run_loaded(self, message: RunLoaded) -> None:
        if message.run is not None:
            self.record = message.run
            self.show()

    def show(self) -> None:
        r, now, styles = self.record, now_of(self), palette(self)
        title = Text(f"Run {r.run_id}  ")
        title.append(f"{MARKS.get(r.status, '·')} {r.status}", style=styles.get(r.status, ""))
        self.query_one("#run-title", Static).update(title)
        where = engines_line(r)  # a step on Spark: which, and where
        summary = run_summary(r, now) + (f"\n{where}" if where else "")
        self.query_one("#run-summary", Static).update(summary)
        self.query_one("#run-timeline", Static).update(self.timeline_text(now))
        self.query_one("#run-problems", Static).update(self.problems_text())
        step = r.failed_step
        key = key_of(self, "run_from")
        self.query_one("#run-hint", Static).update(
            f"{key}: re-run from {step} (the step that failed)" if step else ""
        )

    def timeline_text(self, now: float) -> Text:
        """A line per step: mark, name, its bar on the run's time axis, duration, counts."""
        r, styles = self.record, palette(self)
        names = max([len(s.name) for s in r.steps] + [4])
        inner = self.size.width - 4  # inside the body's padding and scrollbar
        # Counts ('1,200 → 1,200 rows') or a note after the bar; the bars take what is left.
        tail = max(TAIL, (inner - names - 12) // 3)
        width = max(10, inner - names - tail - 12)
        text = Text()
        for row in timeline(r, width, now):
            style = styles.get(row.state, "")
            text.append(f"{MARKS.get(row.state, '·')} ", style=style)
            text.append(f"{row.step.ljust(names)} ")
            text.append(row.bar, style=style or styles["succeeded"])
            text.append(f" {row.duration.rjust(6)}  ")
            counts = row.counts if len(row.counts) <= tail else row.counts_short
            text.append(fit(counts or row.note, tail) + "\n")  # the error is in full below
        text.append(f"  {' ' * names} {axis(axis_span(r, now), width)}", style="dim")
        return text

    def problems_text(self) -> Text:
        """The warnings, then the error with the detail of each failed step."""
        r, styles = self.record, palette(self)
        text = Text()
        for warning in r.warnings:
            text.append("⚠ ", style=styles["running"])
            text.append(f"{warning}\n")
        if r.error:
            text.append(f"✗ {r.error}\n", style=styles["failed"])
        for step in r.steps:
            if step.detail:
                text.append(f"{step.name}:\n", style="bold")
                text.append("".join(f"  {line}\n" for line in step.detail.splitlines()))
        if not text:
            text.append("no warnings, no error", style="dim")
        return text

    def action_run_from(self) -> None:
        if rerun_from_failed_step(self, self.record):
            self.app.pop_screen()  # to the runs, where the new run shows at the top

    def action_back(self) -> None:
        self.app.pop_screen()
