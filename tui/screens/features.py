"""The features view: what a Delta table asks of the engines that touch it (protocol versions,
reader and writer features, properties, checkpoint health), the facts of `lakeconsole
features`, from the same core function. Opened from the tables view; read in a thread worker."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.storage import LakePath
from lakeconsole.core.table_features import TableFeatures
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.screens.view import ConsoleView


class FeaturesLoaded(Message, bubble=False):
    def __init__(self, found: TableFeatures) -> None:
        super().__init__()
        self.found = found


class TableFeaturesScreen(ConsoleView):
    """One table's protocol, features, properties and checkpoint."""

    CSS_PATH = "features.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="features.back", tooltip="Back to the tables"),
    ]

    def __init__(self, path: LakePath, name: str) -> None:
        super().__init__()
        self.path, self.table_name = path, name
        self.shown: list[tuple[str, str]] = []  # the facts on screen, once read

    def compose(self) -> ComposeResult:
        yield Label(f"Features of {self.table_name}", id="features-title", classes="title")
        # A Rich table, not a DataTable: long feature lists wrap at 80 columns instead of
        # being cut off.
        with VerticalScroll(id="features-box"):
            yield LoadingIndicator()
            yield Static("", id="features-list")
        yield Static("", id="features-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._status("loading…")
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="features-load")
    def load(self) -> None:
        from lakeconsole.core.table_features import table_features

        self.post_message(FeaturesLoaded(table_features(self.path)))

    def on_features_loaded(self, message: FeaturesLoaded) -> None:
        from rich.table import Table
        from rich.text import Text

        self._loaded()
        self.shown = message.found.rows()
        facts = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        facts.add_column("what", no_wrap=True, style="bold")
        facts.add_column("value", ratio=1, overflow="fold")
        for what, value in self.shown:
            facts.add_row(Text(what), Text(value))
        self.query_one("#features-list", Static).update(facts)
        self.query_one("#features-box", VerticalScroll).focus()
        refused = message.found.writes_refused
        self._status(
            f"VACUUM, OPTIMIZE and RESTORE refuse this table ({', '.join(refused)}): run them "
            f"from the engine that wrote it. {key_of(self, 'back')}: back"
            if refused
            else f"delta-rs can write every feature of this table. {key_of(self, 'back')}: back",
            error=bool(refused),
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from lakeconsole.tui.screens.tables import describe

            self._loaded()
            self._status(describe(event.worker.error), error=True)

    def _loaded(self) -> None:
        for indicator in self.query(LoadingIndicator):
            indicator.remove()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#features-status", Static)
        status.update(text)
        status.set_class(error, "error")
