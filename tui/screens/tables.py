"""The tables view: every Delta table of the lake by layer, and any Delta table by path.

Enter opens a table's history (tui/screens/table_history.py). Every read runs in a thread
worker that posts a message; widgets are touched only on the UI thread.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.explorer.catalog import TableSummary
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.core.units import human_bytes
from lakeconsole.tui.charts import bar
from lakeconsole.tui.filter_bar import FilterBar, TextInput, count_text
from lakeconsole.tui.fitted_columns import Cell, Column, fit_columns
from lakeconsole.tui.keys import FILTER, key_of
from lakeconsole.tui.screens.view import ConsoleView

# rank 0 stays: at 80 columns the name, its flags, rows, version and size are kept; the layer
# (the name's first part) goes first.
COLUMNS = (
    Column("Layer", rank=8),
    Column("Table", rank=0, flex=True, min_width=16),
    Column("Version", rank=2),
    Column("Rows", rank=1),
    Column("Files", rank=5),
    Column("Size", rank=3),
    Column("Size vs largest", rank=6),
    Column("Last commit", rank=4),
    Column("Schema", rank=7),
    Column("Flags", rank=0, flex=True, min_width=8, width=12),
)
SIZE_BAR_CELLS = 12


# Explorer messages do not bubble: the app has handlers of its own with similar names.
class TablesLoaded(Message, bubble=False):
    def __init__(self, tables: list[TableSummary]) -> None:
        super().__init__()
        self.tables = tables


class PathResolved(Message, bubble=False):
    """A table typed by path or name was found: open its history."""

    def __init__(self, path: LakePath, name: str) -> None:
        super().__init__()
        self.path, self.name = path, name


def describe(exc: BaseException) -> str:
    """One line for an error a worker raised."""
    from lakeconsole.core.explorer.table import ExplorerError, TableNotFound

    if isinstance(exc, TableNotFound):
        return exc.in_console  # the tables are listed right here: no command to list them
    if isinstance(exc, ExplorerError):
        return str(exc)
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


class TableList(DataTable[str]):
    """The lake's tables; Enter (shown in the footer) opens the selected table's history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "History",
            id="tables.open",
            tooltip="Open the selected table's history",
        ),
    ]

    def watch_loading(self, loading: bool) -> None:
        # A loading widget lends no keys to the footer; when it is done its Enter is back, but
        # nothing else tells the footer (the focus did not move), so it and `?` would disagree.
        self.refresh_bindings()


class TablesScreen(ConsoleView):
    """Lake tables with version, rows, files, size, last commit, schema version and flags."""

    CSS_PATH = "tables.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "p",
            "open_path",
            "Open path",
            id="tables.open-path",
            tooltip="Open a table by path or lake name",
        ),
        Binding(
            "i",
            "features",
            "Features",
            id="tables.features",
            tooltip="Protocol, features, checkpoint of the table",
        ),
        FILTER,
        # Reloads are rare: `?` lists it, as on every view (the footer is full at 80 columns).
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="tables.refresh",
            tooltip="Reload the tables",
            show=False,
        ),
        Binding("escape", "back", "Back", id="tables.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.summaries: dict[str, TableSummary] = {}
        self.tables: list[TableSummary] = []  # as loaded, before the `/` filter
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Label("Tables: every Delta table of the lake", id="tables-title", classes="title")
        yield TableList(id="tables-list", cursor_type="row", zebra_stripes=True)
        yield FilterBar("Tables whose name contains…, then Enter", id="tables-filter")
        yield TextInput(
            placeholder="Open a Delta table by path or lake name, then Enter", id="tables-path"
        )
        yield Static("", id="tables-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def on_resize(self, event: Resize) -> None:
        if self.summaries:
            self._fill(list(self.summaries.values()))

    def on_screen_resume(self) -> None:
        # Back from a history where a restore may have committed: show the new version.
        if self.summaries:
            self.load_tables()

    def action_refresh(self) -> None:
        self.query_one("#tables-list", DataTable).loading = True
        self._status("loading…")
        self.load_tables()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tables-load")
    def load_tables(self) -> None:
        from lakeconsole.core.explorer.catalog import lake_tables

        self.post_message(TablesLoaded(lake_tables(self.settings)))

    def on_tables_loaded(self, message: TablesLoaded) -> None:
        self.query_one("#tables-list", DataTable).loading = False
        self.tables = message.tables
        self._show_tables()

    def _show_tables(self) -> None:
        from lakeconsole.core.explorer.filters import matching_tables

        table = self.query_one("#tables-list", DataTable)
        cursor = table.cursor_row
        shown = matching_tables(self.tables, self.filter_text)
        self.summaries = {str(s.path): s for s in shown}
        self._fill(shown)
        self._title()
        if self.filter_text:
            self._status(
                f"{count_text(len(shown), len(self.tables), 'tables')} match "
                f"'{self.filter_text}'. {key_of(self, 'filter')}: change the filter; "
                f"{key_of(self, 'back')}: show all"
            )
            if shown:
                table.move_cursor(row=min(cursor, table.row_count - 1))
            table.focus()
        elif self.tables:
            table.move_cursor(row=min(cursor, table.row_count - 1))
            self._status(
                f"{len(self.tables)} table(s). Enter: history; "
                f"{key_of(self, 'open_path')}: open another table by path; "
                f"{key_of(self, 'filter')}: filter"
            )
            table.focus()
        else:
            self._status(
                f"No Delta tables in {self.settings.lake_name} yet (run the pipeline), "
                f"or press {key_of(self, 'open_path')} to open one by path"
            )

    def _fill(self, shown: list[TableSummary]) -> None:
        """The rows, in the columns that fit the screen's width."""
        largest = max((s.size_bytes or 0 for s in self.tables), default=0)
        rows = [_cells(s, largest) for s in shown]
        table = self.query_one("#tables-list", DataTable)
        fit_columns(table, COLUMNS, rows, [str(s.path) for s in shown], self.size.width)

    @on(DataTable.RowSelected, "#tables-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        summary = self.summaries.get(str(event.row_key.value))
        if summary is not None:
            self._open(summary.path, summary.name)

    def action_features(self) -> None:
        from lakeconsole.tui.screens.features import TableFeaturesScreen

        table = self.query_one("#tables-list", DataTable)
        if not self.summaries or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        summary = self.summaries.get(str(key))
        if summary is not None:
            self.app.push_screen(TableFeaturesScreen(summary.path, summary.name))

    def action_open_path(self) -> None:
        self.query_one("#tables-path", Input).focus()

    @on(Input.Submitted, "#tables-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self._status(f"opening {text}…")
            self.resolve_path(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tables-resolve")
    def resolve_path(self, text: str) -> None:
        from lakeconsole.core.explorer.log import latest_version
        from lakeconsole.core.explorer.table import resolve_table, table_name

        lake = self.settings.lake_root
        path = resolve_table(text, lake)
        latest_version(path)  # a log without commits fails here, not in the next view
        self.post_message(PathResolved(path, table_name(lake, path)))

    def on_path_resolved(self, message: PathResolved) -> None:
        self._status("")
        self._open(message.path, message.name)

    def _open(self, path: LakePath, name: str) -> None:
        from lakeconsole.tui.screens.table_history import TableHistoryScreen

        self.app.push_screen(TableHistoryScreen(self.settings, path, name))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.query_one("#tables-list", DataTable).loading = False
            self._status(describe(event.worker.error), error=True)

    # --- `/` ------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one("#tables-filter", FilterBar).open()

    @on(FilterBar.Applied, "#tables-filter")
    def _filter_changed(self, event: FilterBar.Applied) -> None:
        self.filter_text = event.text
        self._show_tables()

    def _title(self) -> None:
        title = "Tables: every Delta table of the lake"
        if self.filter_text:
            shown = count_text(len(self.summaries), len(self.tables), "tables")
            title = f"Tables matching '{self.filter_text}': {shown}"
        self.query_one("#tables-title", Label).update(title)

    def action_back(self) -> None:
        path_input = self.query_one("#tables-path", Input)
        if self.focused is path_input:
            self.query_one("#tables-list", DataTable).focus()
            return
        if self.filter_text:  # Escape clears the filter first, as in the bar
            self.query_one("#tables-filter", FilterBar).applied = ""
            self.filter_text = ""
            self._show_tables()
            return
        self.app.pop_screen()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#tables-status", Static)
        status.update(text)
        status.set_class(error, "error")


def _cells(s: TableSummary, largest: int) -> tuple[Cell, ...]:
    if s.error:
        return (s.layer, s.name, "", "", "", "", "", "", "", "unreadable: " + s.error)
    return (
        s.layer,
        s.name,
        str(s.version),
        "?" if s.rows is None else f"{s.rows:,}",
        str(s.files),
        human_bytes(s.size_bytes),
        bar(s.size_bytes or 0, largest, SIZE_BAR_CELLS),
        s.last_commit_local,
        s.schema_version or "",
        "; ".join(s.flags),
    )
