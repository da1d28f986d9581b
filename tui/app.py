"""The console: `lakeconsole` with no subcommand. Runs the pipeline in a thread worker, renders
the runner's events live, routes keys to the views, and turns failures into a dialog."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from lakeconsole.core.console_prefs import ConsolePrefs, load_prefs, prefs_path, save_prefs
from lakeconsole.core.dag import Pipeline, PipelineError
from lakeconsole.core.events import Event, RunFinished, RunStatus, StepStarted
from lakeconsole.core.lock import RunLocked
from lakeconsole.core.runner import RunOutcome, describe_error, run_pipeline
from lakeconsole.core.runs import Trigger, holder_now, load_runs
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import state_home
from lakeconsole.core.upkeep import UpkeepItem, upkeep_status
from lakeconsole.tui.dashboard import DashboardScreen
from lakeconsole.tui.help import HelpScreen, KeymapFiles
from lakeconsole.tui.in_flight import InFlight
from lakeconsole.tui.keys import CONSOLE_BINDINGS, key_of, parse_keymap, screen_keys
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.messages import (
    ExternalRun,
    HistoryLoaded,
    LakeSwapped,
    RunEvent,
    UpkeepLoaded,
)
from lakeconsole.tui.modals import ErrorScreen, give_own_footer

RUN_COMMAND = "lakeconsole console"
HISTORY_RUNS = 30
UPKEEP_EVERY_S = 60.0

# key → (module, class, what the user calls it); imported when the key is pressed, so a view
# that is not written yet, or is slow to import, costs nothing until it is wanted.
VIEWS: dict[str, tuple[str, str, str]] = {
    "tables": ("lakeconsole.tui.screens.tables", "TablesScreen", "Tables"),
    "maintenance": ("lakeconsole.tui.screens.maintenance", "MaintenanceScreen", "Maintenance"),
    "backup": ("lakeconsole.tui.screens.backup", "BackupScreen", "Backup"),
    "marts": ("lakeconsole.tui.screens.marts", "MartsScreen", "Mart docs"),
    "runs": ("lakeconsole.tui.screens.runs", "RunsScreen", "Runs"),
    "quality": ("lakeconsole.tui.screens.quality", "QualityScreen", "Quality"),
}

UpkeepSource = Callable[[Settings], list[UpkeepItem]]
FindingsSource = Callable[[Settings], list[tuple[str, str, str]]]


def governance_findings(settings: Settings) -> list[tuple[str, str, str]]:
    """What `lakeconsole check` reports (issue 8), for the maintenance panel. Blocking."""
    from lakeconsole.core.governance import findings

    return [(f.code, f.subject, f.message) for f in findings(settings)]


def _yield_cpu_to_the_screen() -> None:
    """Lower this (run) thread's priority so key presses stay quick on a busy 2-core machine.
    Linux applies it to the calling thread only (measured: p90 key-to-screen 158 → 79 ms)."""
    # Not Linux, or not allowed: the run just keeps its priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class ConsoleApp(App[int]):
    """lakeconsole's terminal UI."""

    CSS_PATH = "console.tcss"
    TITLE = "lakeconsole"
    BINDINGS: ClassVar[list[BindingType]] = list(CONSOLE_BINDINGS)

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline | None,
        *,
        pipeline_error: str | None = None,
        clock: Callable[[], float] = time.time,
        upkeep: UpkeepSource = upkeep_status,
        findings: FindingsSource = governance_findings,
        poll_interval_s: float = 1.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.pipeline = pipeline
        self.pipeline_error = pipeline_error or (None if pipeline else "No pipeline is loaded")
        self.clock = clock
        self.upkeep_source = upkeep
        self.findings_source = findings
        self.poll_interval_s = poll_interval_s
        # Remembered from the last start unless .env or the environment says (core/console_prefs).
        self.prefs = load_prefs(settings.raw)
        chosen_in_env = bool(settings.raw.get("AUTO_RUN_ON_LANDING", "").strip())
        self.auto_run = (
            settings.auto_run_on_landing
            if chosen_in_env or self.prefs.auto_run is None
            else self.prefs.auto_run
        )
        self._prefs_ready = False  # nothing is saved before the console has started
        self._cancel = threading.Event()
        self._run: Worker[RunOutcome] | None = None
        self._external_run_id: str | None = None
        self._external_command = "the other process's run"  # what held the lake's lock
        self._last_background_error: str | None = None
        self._quitting = False
        self._env_seen = env_stamp(settings)  # .env as read at start (settings do not reload)
        self.polls, self.upkeep_reads = InFlight(), InFlight()
        self.board = DashboardScreen(settings, pipeline, self.pipeline_error, clock)
        if "NO_COLOR" in settings.raw and not self.no_color:
            # NO_COLOR set in .env rather than the environment, which Textual reads itself.
            from textual.filter import Monochrome

            self.no_color = True
            self._filters.append(Monochrome())

    # --- start-up and background refresh -------------------------------------------------

    def on_mount(self) -> None:
        if self.prefs.theme and self.prefs.theme in self.available_themes:
            self.theme = self.prefs.theme
        self._prefs_ready = True
        self.screen_change_signal.subscribe(self, give_own_footer)
        keymap = parse_keymap(self.keymap_files.in_use)
        if keymap:
            self.set_keymap(keymap)
            self.call_after_refresh(self.check_keymap, keymap)
        self.push_screen(self.board)
        # The first screen first: the history and the upkeep checks (which read the lake and run
        # git) start once it is drawn. Measured with bench.console: 0.77 s → 0.69 s to it.
        self.call_after_refresh(self.open_log)
        self.call_after_refresh(self.load_history)
        self.call_after_refresh(self.load_upkeep)
        # Each skipped while its last read is still going (tui/in_flight: a slow bucket).
        self.set_interval(self.poll_interval_s, self.tick_poll, name="poll lake")
        self.set_interval(UPKEEP_EVERY_S, self.tick_upkeep, name="poll upkeep")

    def tick_poll(self) -> None:
        if not self.polls.busy:
            self.poll_lake()

    def tick_upkeep(self) -> None:
        if not self.upkeep_reads.busy:
            self.load_upkeep()

    @property
    def run_active(self) -> bool:
        return self._run is not None and self._run.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def open_log(self) -> None:
        """app.log, opened once the first screen is drawn (cli.main keeps the lines till then)."""
        from lakeconsole.core.applog import attach_log_file

        attach_log_file(self.settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_history(self) -> None:
        self.post_message(HistoryLoaded(load_runs(state_home(self.settings), limit=HISTORY_RUNS)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="upkeep")
    def load_upkeep(self) -> None:
        with self.upkeep_reads:
            self.post_message(self.read_upkeep())

    def read_upkeep(self) -> UpkeepLoaded:
        items: list[UpkeepItem] = []
        findings: list[tuple[str, str, str]] = []
        error = None
        try:
            # The incidents alerted and still open: one line, where the upkeep lines are.
            items = self.upkeep_source(self.settings) + self.alerts_item() + self.unchecked()
            findings = self.findings_source(self.settings)
        except Exception as exc:  # the summary says it could not check; the console stays up
            error = describe_error(exc)
        return UpkeepLoaded(items, error, findings)

    def unchecked(self) -> list[UpkeepItem]:
        """What the findings below leave out on this lake (object storage), as `lakeconsole
        check` says on stderr: a missing finding must not read as one that passed."""
        from lakeconsole.core.governance import not_checked

        if skipped := not_checked(self.settings):
            detail = f"not on object storage yet: {', '.join(skipped)}"
            return [UpkeepItem("checks", None, False, detail)]
        return []

    def alerts_item(self) -> list[UpkeepItem]:
        """The open incidents' line (core reads them where this lake keeps them)."""
        from lakeconsole.core.alerts.incidents import open_incidents_item

        return open_incidents_item(self.settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll_lake(self) -> None:
        """Is another process running the pipeline on this lake? Follow its record while it does.
        And has .env changed since start? The console keeps the settings it started with."""
        with self.polls:
            self.look_at_lake()

    def look_at_lake(self) -> None:
        stamp = env_stamp(self.settings)
        if stamp != self._env_seen:
            self._env_seen = stamp
            self.call_from_thread(
                self.notify,
                f"{self.settings.home / '.env'} changed: the console still uses the settings "
                "it started with. Quit and start it again to use the new ones",
                title=".env changed",
                severity="warning",
                timeout=15,
            )
        if self.run_active:
            return  # our own run holds the lock: its events come straight from the runner
        state = state_home(self.settings)  # a folder, or the lake's prefix (its lease)
        holder = holder_now(state)
        run_id = holder.run_id if holder else self._external_run_id
        if run_id is None:
            return
        record = next((r for r in load_runs(state, limit=5) if r.run_id == run_id), None)
        self.post_message(ExternalRun(holder, record))

    @property
    def log_name(self) -> str:
        """The app log as the user knows it: logs/app.log when it is in the project folder."""
        log = self.settings.log_file
        return (
            str(log.relative_to(self.settings.home))
            if log.is_relative_to(self.settings.home)
            else str(log)
        )

    @property
    def board_shown(self) -> bool:
        """False while the console shuts down: a worker's late answer then has nowhere to go.
        (Textual stops the app's `is_running` before it takes the board's panels down one by
        one, and it still delivers messages meanwhile: CI saw a history answer land there.)"""
        return self.is_running and self.board.is_attached

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        if self.board_shown:
            self.board.show_history(message.runs)

    def on_upkeep_loaded(self, message: UpkeepLoaded) -> None:
        if self.board_shown:
            self.board.show_upkeep(message.items, message.error, message.findings)

    def on_external_run(self, message: ExternalRun) -> None:
        if self.run_active or not self.board_shown:
            return
        if message.record is not None:
            self.board.show_record(message.record)
        if message.holder is not None:
            self._external_run_id = message.holder.run_id
            self._external_command = message.holder.command
            self.board.show_external(message.holder)
        else:  # it ended
            self._external_run_id = None
            if message.record is not None:
                self.board.show_finished(RunStatus(message.record.status))
            else:  # a vacuum, optimize or backup holds the lock too, and leaves no run record
                self.board.set_status(f"{self._external_command} ended", "idle")
            self.board.landing.run_worker(self.board.landing.rescan(), group="landing-scan")
            self.load_history()
            self.load_upkeep()

    # --- a lake swapped under the console ------------------------------------------------

    def repoint(self, settings: Settings | None = None) -> None:
        """After an operation that swapped the lake (a restore, a changed data dir: `settings`):
        every panel and watcher reads the lake now there. Watchers follow a folder, not a path,
        so a lake moved aside would otherwise go on being watched; the counts shown were the
        old lake's. The one place that knows everything that looks at the lake."""
        if settings is not None:
            self.settings = settings
        self._external_run_id = None  # the lock that named it was the old lake's
        self.board.repoint(self.settings)
        self.load_history()
        self.load_upkeep()
        self.poll_lake()

    def on_lake_swapped(self, message: LakeSwapped) -> None:
        if self.board_shown:
            self.repoint()

    # --- runs ----------------------------------------------------------------------------

    def start_run(self, start: str | None = None, trigger: Trigger = Trigger.CONSOLE) -> bool:
        """Start a run unless one is going (here or in another process). → started?"""
        if self.pipeline is None:
            self.push_screen(
                ErrorScreen(
                    self.pipeline_error or "No pipeline is loaded",
                    title="Cannot run",
                    where="LAKECONSOLE_PIPELINE in .env",
                )
            )
            return False
        if self.run_active:
            self.notify(
                f"A run is already going: one run at a time ({key_of(self.screen, 'cancel_run')} "
                "cancels it).",
                severity="warning",
            )
            return False
        if self._external_run_id is not None:
            self.notify(
                "Another process is running the pipeline on this lake; wait for it to finish.",
                severity="warning",
            )
            return False
        self._cancel = threading.Event()
        self.board.set_status(f"starting{' from ' + start if start else ''}…", "running")
        self._run = self.execute_run(start, trigger)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="run", name="pipeline run")
    def execute_run(self, start: str | None, trigger: Trigger) -> RunOutcome:
        """The whole run, off the event loop; each event is posted to the console as it happens."""
        assert self.pipeline is not None
        _yield_cpu_to_the_screen()
        return run_pipeline(
            self.pipeline,
            self.settings,
            self.forward_event,
            start=start,
            cancel_event=self._cancel,
            command=RUN_COMMAND,
            trigger=trigger,
            clock=self.clock,
        )

    def forward_event(self, event: Event) -> None:
        """Runner thread → event loop (post_message is thread-safe)."""
        self.post_message(RunEvent(event))

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        if not self.board_shown:
            return
        self.board.apply_event(event)
        if isinstance(event, RunFinished):
            self.run_finished(event)
        elif isinstance(event, StepStarted):
            self.board.set_status(f"running {event.step}", "running")

    def run_finished(self, event: RunFinished) -> None:
        self.board.show_finished(event.status)
        self.board.landing.run_worker(self.board.landing.rescan(), group="landing-scan")
        self.load_history()
        self.load_upkeep()
        if event.status == RunStatus.CANCELLED:
            self.notify("Run cancelled: the tables are at their last committed version.")
        elif event.status == RunStatus.FAILED:
            failed = [s.name for s in self.board.view.steps.values() if s.state.value == "failed"]
            where = f"{self.log_name} (step {', '.join(failed)})" if failed else self.log_name
            self.push_screen(
                ErrorScreen(event.error or "The run failed", title="✗ Pipeline Failed", where=where)
            )
        for warning in event.warnings:
            self.notify(warning, severity="warning", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a worker's failure reaches the user."""
        worker = event.worker
        if worker.group == "run" and self._quitting and worker.is_finished:
            self.exit(0)
            return
        if event.state != WorkerState.ERROR:
            return
        if worker.group == "run":
            self.run_refused(worker.error)
            return
        # Background readers (history, upkeep, polling, watchers) retry on their own: say it
        # once in a toast rather than a dialog every second.
        message = f"Could not read {worker.group}: {describe_error(worker.error or Exception())}"
        if message != self._last_background_error:
            self._last_background_error = message
            self.notify(message, severity="error", timeout=10)

    def run_refused(self, error: BaseException | None) -> None:
        """The runner raised before or outside the steps (a step's failure is an event instead)."""
        if isinstance(error, RunLocked):
            self.notify(str(error), title="Run not started", severity="warning", timeout=8)
            if error.holder is not None:
                self._external_run_id = error.holder.run_id
                self._external_command = error.holder.command
                self.board.show_external(error.holder)
            return
        title = "Cannot start the run" if isinstance(error, PipelineError) else "✗ Pipeline Failed"
        self.board.set_status(
            "not started" if isinstance(error, PipelineError) else "failed", "failed"
        )
        self.push_screen(
            ErrorScreen(
                describe_error(error or Exception("unknown error")),
                title=title,
                where=self.log_name,
            )
        )

    # --- actions -------------------------------------------------------------------------

    def action_run(self) -> None:
        """Run the whole pipeline."""
        self.start_run(None)

    def action_run_from(self) -> None:
        """Run from the selected layer or step, and everything downstream of it."""
        target = self.board.selected()
        if target is None:
            key = key_of(self.screen, "run_from")
            self.notify(f"Select a layer or a step first (Tab, or click it), then press {key}.")
            return
        self.start_run(target)

    def action_cancel_run(self) -> None:
        """Stop the run at its next safe point."""
        if self.run_active:
            self._cancel.set()
            self.board.set_status("cancelling…", "running")
            self.notify("Cancelling at the next safe point…")
        elif self._external_run_id is not None:
            self.notify("That run belongs to another process: stop it there.", severity="warning")
        else:
            self.notify("No run to cancel.")

    def action_toggle_auto_run(self) -> None:
        """Start a run when new files land, or stop doing so."""
        self.auto_run = not self.auto_run
        self.board.landing.set_auto_run(self.auto_run)
        self.notify(f"Auto-run on new landing files is {'on' if self.auto_run else 'off'}.")
        self.remember_prefs()

    def watch_theme(self, theme: str) -> None:
        self.remember_prefs()

    def remember_prefs(self) -> None:
        """Theme and auto-run, as chosen now, for the next start."""
        if self._prefs_ready:
            chosen = ConsolePrefs(self.theme, self.auto_run, self.prefs.keymap)
            self.save_prefs(chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="prefs")
    def save_prefs(self, prefs: ConsolePrefs) -> None:
        save_prefs(prefs, self.settings.raw)

    def on_landing_panel_files_arrived(self, message: LandingPanel.FilesArrived) -> None:
        if (
            self.auto_run
            and not self.run_active
            and self._external_run_id is None
            and self.pipeline
        ):
            self.notify(f"New in landing: {', '.join(message.names[:3])}… running the pipeline.")
            self.start_run(None, Trigger.AUTO_RUN)

    def action_logs(self) -> None:
        """Enlarge the log panel, or shrink it back."""
        if self.screen is not self.board:
            if isinstance(self.screen, ModalScreen):
                return
            self.back_to_dashboard()
        if self.board.maximized is not None:
            self.board.minimize()
        else:
            self.board.maximize(self.board.log_panel)
            self.board.log_panel.focus()

    def action_log_level(self) -> None:
        """Show fewer log lines: ALL → INFO+ → WARNING+ → ERROR, then all again."""
        if self.screen is not self.board:
            if isinstance(self.screen, ModalScreen):
                return
            self.back_to_dashboard()
        shown = self.board.log_panel.cycle_level()
        self.notify(f"Log panel: {shown} lines", timeout=2)

    @work(thread=True, exclusive=True, exit_on_error=False, group="keymap")
    def check_keymap(self, keymap: dict[str, str]) -> None:
        """Say so, in app.log and in the console, when CONSOLE_KEYMAP names an id no key has."""
        # In a thread, and only with a keymap set: collecting the ids imports every view.
        from lakeconsole.tui.keys import keymap_problems, known_binding_ids

        for problem in keymap_problems(keymap, known_binding_ids()):
            logging.getLogger("lakeconsole.tui").warning(problem)
            self.call_from_thread(
                self.notify, problem, title="Unknown key id", severity="warning", timeout=15
            )

    @property
    def keymap_files(self) -> KeymapFiles:
        """The keymap this console applies at start, and the files it may come from:
        CONSOLE_KEYMAP (.env or the environment) wins over the user's console.toml."""
        user_config = prefs_path(self.settings.raw)
        chosen = self.settings.console_keymap
        return KeymapFiles(
            self.settings.home / ".env",
            user_config,
            chosen or self.prefs.keymap,
            "CONSOLE_KEYMAP in .env or the environment" if chosen else str(user_config),
        )

    def action_help(self) -> None:
        """The keys of the screen in front."""
        screen = self.screen
        if isinstance(screen, ModalScreen):
            return
        name = re.sub(r"(?<!^)([A-Z])", r" \1", type(screen).__name__.removesuffix("Screen"))
        title = "dashboard" if screen is self.board else name.capitalize()
        panels = screen is self.board
        help_screen = HelpScreen(
            screen_keys(screen), title=title, panels=panels, keymap=self.keymap_files
        )
        self.push_screen(help_screen)

    def action_open_view(self, name: str) -> None:
        """Open the tables, maintenance, backup, mart docs or runs view."""
        module_name, class_name, label = VIEWS[name]
        if isinstance(self.screen, ModalScreen):
            return
        if type(self.screen).__name__ == class_name:
            return
        try:
            screen_class = getattr(importlib.import_module(module_name), class_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                self.notify(f"The {label} view is not available yet.", severity="warning")
                return
            self.push_screen(ErrorScreen(f"The {label} view cannot load: {describe_error(exc)}"))
            return
        except (ImportError, AttributeError) as exc:
            self.push_screen(ErrorScreen(f"The {label} view cannot load: {describe_error(exc)}"))
            return
        try:
            screen: Screen[Any] = screen_class(self.settings)
        except Exception as exc:  # a broken view must not take the console down
            self.push_screen(ErrorScreen(f"The {label} view cannot open: {describe_error(exc)}"))
            return
        self.back_to_dashboard()
        self.push_screen(screen)

    def back_to_dashboard(self) -> None:
        while len(self.screen_stack) > 1 and self.screen is not self.board:
            self.pop_screen()

    def on_unmount(self) -> None:
        # However the console ends (q, ctrl+q, a test harness), a run still going is told to
        # stop at its next safe point; the process then waits for that, never for a whole step.
        self._cancel.set()

    async def action_quit(self) -> None:
        """Quit; a run going is cancelled first, and the console closes when it has stopped."""
        if not self.run_active or self._quitting:
            # A second q does not wait: the process still lets the step reach its safe point.
            self.exit(0)
            return
        self._quitting = True
        self._cancel.set()
        now = key_of(self.board, "quit")
        self.board.set_status(
            f"quitting: the run stops at its next safe point ({now}: now)", "running"
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The console's keys in the command palette, next to Textual's own (themes, …)."""
        yield from super().get_system_commands(screen)

        def key(action: str) -> str:  # as bound now, remaps included
            return key_of(screen, action)

        yield SystemCommand(
            "Run the pipeline", f"Bronze → Silver → Gold ({key('run')})", self.action_run
        )
        yield SystemCommand(
            "Run from the selection",
            f"The selected layer or step onwards ({key('run_from')})",
            self.action_run_from,
        )
        yield SystemCommand(
            "Cancel the run",
            f"Stop at the next safe point ({key('cancel_run')})",
            self.action_cancel_run,
        )
        for name, (_, _, label) in VIEWS.items():
            yield SystemCommand(
                f"Open {label}",
                f"The {label.lower()} view",
                lambda n=name: self.action_open_view(n),
            )
        yield SystemCommand(
            "Logs", f"Enlarge or shrink the log panel ({key('logs')})", self.action_logs
        )
        yield SystemCommand(
            "Toggle auto-run",
            f"Run when new files land ({key('toggle_auto_run')})",
            self.action_toggle_auto_run,
        )
        yield SystemCommand(
            "Log level",
            f"Cycle the log panel's level filter ({key('log_level')})",
            self.action_log_level,
        )


def env_stamp(settings: Settings) -> tuple[int, int] | None:
    """.env's size and modification time; None when there is none."""
    try:
        st = (settings.home / ".env").stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def run_console(settings: Settings) -> int:
    """Open the console on the lake in `settings`; returns the process exit code."""
    from lakeconsole.core.pipeline import load_pipeline

    pipeline: Pipeline | None = None
    error: str | None = None
    try:
        pipeline = load_pipeline(settings)
    except PipelineError as exc:
        error = str(exc)
    except Exception as exc:  # a pipeline module that does not import must not stop the console
        error = f"Cannot load the pipeline '{settings.pipeline}': {describe_error(exc)}"
    code = ConsoleApp(settings, pipeline, pipeline_error=error).run()
    return code or 0


__all__ = ["ConsoleApp", "run_console"]
