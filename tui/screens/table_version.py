"""One version of a table (time travel): schema, schema changes, rows a page at a time.

Keys: [ and ] move to the older and newer version; > and < page through the rows; / filters
them (`column=value` or `column~text`, over the whole version), and the filter stays when the
version changes, so one row can be followed through time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.explorer.filters import RowFilter
from lakeconsole.core.explorer.history import Commit
from lakeconsole.core.explorer.version import DEFAULT_ROWS, RowsPage, VersionSchema
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.tui.filter_bar import FilterBar, count_text
from lakeconsole.tui.keys import FILTER, key_of
from lakeconsole.tui.screens.tables import describe
from lakeconsole.tui.screens.view import ConsoleView


@dataclass(frozen=True)
class VersionView:
    schema: VersionSchema
    commit: Commit
    page: RowsPage | None
    rows_error: str = ""  # e.g. the version's files were vacuumed: the schema still shows


class VersionLoaded(Message, bubble=False):
    def __init__(self, view: VersionView) -> None:
        super().__init__()
        self.view = view


class RowsLoaded(Message, bubble=False):
    def __init__(self, version: int, page: RowsPage) -> None:
        super().__init__()
        self.version, self.page = version, page


class VersionRows(DataTable[str]):
    """A version's rows; Enter traces a gold row to its landing lines (or names a bronze or
    silver row's own line)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Trace",
            id="version.open",
            tooltip="Trace the row to its landing lines",
            show=False,  # the footer is full at 80 columns: a gold version's status line says it
        ),
    ]


class TableVersionScreen(ConsoleView):
    """A version's schema, what changed since the previous one, and a preview of its rows."""

    CSS_PATH = "tables.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "version(-1)",
            "Older version",
            id="version.older",
            tooltip="The older version",
            key_display="[",
        ),
        Binding(
            "right_square_bracket",
            "version(1)",
            "Newer version",
            id="version.newer",
            tooltip="The newer version",
            key_display="]",
        ),
        Binding(
            "greater_than_sign",
            "page(1)",
            "Next rows",
            id="version.next-page",
            tooltip="Next page of rows",
            key_display=">",
        ),
        Binding(
            "less_than_sign",
            "page(-1)",
            "Prev rows",
            id="version.prev-page",
            tooltip="Previous page of rows",
            key_display="<",
        ),
        FILTER,
        Binding("escape", "back", "Back", id="version.back", tooltip="Back to the history"),
    ]

    def __init__(
        self,
        settings: Settings,
        path: LakePath,
        name: str,
        version: int,
        latest: int | None = None,
        page_size: int = DEFAULT_ROWS,
    ) -> None:
        super().__init__()
        self.settings, self.path, self.table_name = settings, path, name
        self.version, self.latest, self.page_size = version, latest, page_size
        self.row_offset = 0
        self.page: RowsPage | None = None
        self.where: RowFilter | None = None  # the `/` filter of the rows shown

    def compose(self) -> ComposeResult:
        yield Label("", id="version-title", classes="title")
        with Horizontal(id="version-top"):
            yield DataTable(id="version-columns", cursor_type="none", show_cursor=False)
            yield Static("", id="version-changes", markup=False)
        yield Label("Rows", id="version-rows-title", classes="title")
        yield VersionRows(id="version-rows", cursor_type="row", zebra_stripes=True)
        yield FilterBar(
            "column=value or column~text (e.g. channel=web), then Enter", id="rows-filter"
        )
        yield Static("", id="version-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#version-columns", DataTable).add_columns("Column", "Type", "Null")
        self._load()

    def _load(self) -> None:
        self.row_offset = 0
        self.query_one("#version-title", Label).update(
            f"{self.table_name} at version {self.version}"
        )
        for selector in ("#version-columns", "#version-rows"):
            self.query_one(selector, DataTable).loading = True
        self._status("loading…")
        self.load_version(self.version, self.where)

    @work(thread=True, exclusive=True, exit_on_error=False, group="version-load")
    def load_version(self, version: int, where: RowFilter | None = None) -> None:
        from lakeconsole.core.explorer.history import to_commit
        from lakeconsole.core.explorer.log import read_commit
        from lakeconsole.core.explorer.table import ExplorerError, open_table
        from lakeconsole.core.explorer.version import rows_page, schema_at

        dt = open_table(self.path, version)
        schema = schema_at(self.path, dt=dt)
        commit = to_commit(read_commit(self.path, version))
        try:
            page = rows_page(self.path, offset=0, limit=self.page_size, dt=dt, where=where)
        except ExplorerError as exc:
            self.post_message(VersionLoaded(VersionView(schema, commit, None, str(exc))))
            return
        self.post_message(VersionLoaded(VersionView(schema, commit, page)))

    def on_version_loaded(self, message: VersionLoaded) -> None:
        view = message.view
        if view.schema.version != self.version:
            return  # an answer for a version the user already moved away from
        columns = self.query_one("#version-columns", DataTable)
        columns.loading = False
        columns.clear()
        changed = {name for name, _ in view.schema.diff.added} if view.schema.diff else set()
        for c in view.schema.columns:
            columns.add_row(
                ("+ " if c.name in changed else "") + c.name, c.type, "yes" if c.nullable else "no"
            )
        changes = self.query_one("#version-changes", Static)
        commit = view.commit
        head = f"{commit.operation} at {commit.local_time}"
        if commit.schema_version:
            head += f", schema {commit.schema_version}"
        diff = view.schema.diff
        if diff is None:
            text = "Schema changes: none to compare (first version, or the log before it is gone)"
        elif diff.empty:
            text = f"Schema changes since version {view.schema.previous}: none"
        else:
            text = f"Schema changes since version {view.schema.previous}:\n" + "\n".join(
                diff.lines()
            )
        changes.update(f"{head}\n{commit.metrics_line()}\n\n{text}")
        changes.set_class(bool(diff and not diff.empty), "changed")
        if view.page is not None:
            self._show_rows(view.page)
            return
        rows = self.query_one("#version-rows", DataTable)
        rows.loading = False
        rows.clear(columns=True)
        self._status(view.rows_error, error=True)
        self._rows_title(None)

    def _show_rows(self, page: RowsPage) -> None:
        from lakeconsole.core.explorer.version import text_rows

        self.page, self.row_offset, self.where = page, page.offset, page.where
        rows = self.query_one("#version-rows", DataTable)
        rows.loading = False
        rows.clear(columns=True)
        rows.add_columns(*page.table.column_names)
        if self.focused is None or self.focused.id == "version-columns":
            rows.focus()  # the rows take the keys, not the schema: Enter traces the row
        rows.add_rows(text_rows(page.table))
        shown = page.table.num_rows
        total = "?" if page.total_rows is None else f"{page.total_rows:,}"
        first = page.offset + 1 if shown else page.offset
        hint = f"; {key_of(self, 'page(1)')}: next rows" if page.has_more else ""
        hint += f"; {key_of(self, 'page(-1)')}: previous rows" if page.offset else ""
        order = "" if page.ordered else " (order can vary between reads for this table)"
        matching = f" matching {page.where}" if page.where else ""
        if shown or page.offset:
            where = f"rows {first}-{page.offset + shown} of {total}{matching}{order}{hint}"
        elif page.where is not None:
            where = f"no row matches {page.where}"  # not "rows 0-0 of 0"
        else:
            where = "no rows in this version"
        trace = ""
        if shown and self.table_name.split("/", 1)[0] == "gold":
            trace = f"; {key_of(self, 'select_cursor')}: where the row came from"
        self._status(f"{where}{trace}; [ ]: older/newer version")
        self._rows_title(page)

    def _rows_title(self, page: RowsPage | None) -> None:
        title = "Rows"
        if page is not None and page.where is not None:
            of = "?" if page.all_rows is None else page.all_rows
            title = f"Rows where {page.where}: {count_text(page.total_rows or 0, of, 'rows')}"
        self.query_one("#version-rows-title", Label).update(title)

    def action_page(self, step: int) -> None:
        if self.page is None:
            return
        if step > 0 and not self.page.has_more:
            self.notify("That is the last page.")
            return
        if step < 0 and self.row_offset == 0:
            self.notify("That is the first page.")
            return
        offset = max(0, self.row_offset + step * self.page_size)
        self.query_one("#version-rows", DataTable).loading = True
        self.load_rows(self.version, offset, self.where)

    @work(thread=True, exclusive=True, exit_on_error=False, group="version-rows")
    def load_rows(self, version: int, offset: int, where: RowFilter | None = None) -> None:
        from lakeconsole.core.explorer.version import rows_page

        page = rows_page(self.path, version, offset, self.page_size, where=where)
        self.post_message(RowsLoaded(version, page))

    @on(DataTable.RowSelected, "#version-rows")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        from lakeconsole.core.lineage.text import own_line

        if self.page is None or event.cursor_row >= self.page.table.num_rows:
            return
        row = self.page.table.slice(event.cursor_row, 1).to_pylist()[0]
        if self.table_name.split("/", 1)[0] == "gold":
            from lakeconsole.tui.screens.trace import TraceScreen

            # The latest version is traced as `lakeconsole trace` does without --version: over
            # the lake as it is; an older one over the lake as it was when it was committed.
            version = None if self.version == self.latest else self.version
            self.app.push_screen(TraceScreen(self.settings, self.table_name, row, version))
            return
        line = own_line(row)
        self._status(
            f"this row came from {line} (a trace of where a number came from starts from a "
            "gold row)"
            if line
            else "this row names no landing line: a trace starts from a gold row"
        )

    # --- `/` -------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one("#rows-filter", FilterBar).open()

    @on(FilterBar.Applied, "#rows-filter")
    def _filter_changed(self, event: FilterBar.Applied) -> None:
        from lakeconsole.core.explorer.filters import parse_row_filter
        from lakeconsole.core.explorer.table import ExplorerError

        self.query_one("#version-rows", DataTable).focus()
        try:
            where = parse_row_filter(event.text)
        except ExplorerError as exc:
            self._status(str(exc), error=True)
            return
        self._status(f"finding rows where {where}…" if where else "loading…")
        self.query_one("#version-rows", DataTable).loading = True
        # The rows shown keep their filter until the new one has answered (a bad column name
        # leaves them, with the error in the status line).
        self.load_rows(self.version, 0, where)

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        if message.version == self.version:
            self._show_rows(message.page)

    def action_version(self, step: int) -> None:
        target = self.version + step
        if target < 0 or (self.latest is not None and target > self.latest):
            self.notify("No older version." if step < 0 else "This is the latest version.")
            return
        self.version = target
        self.page = None
        self._load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            for selector in ("#version-columns", "#version-rows"):
                self.query_one(selector, DataTable).loading = False
            self._status(describe(event.worker.error), error=True)

    def action_back(self) -> None:
        if self.where is not None:  # Escape clears the filter first, as in the bar
            self.query_one("#rows-filter", FilterBar).applied = ""
            self.query_one("#version-rows", DataTable).loading = True
            self.load_rows(self.version, 0, None)
            return
        self.app.pop_screen()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#version-status", Static)
        status.update(text)
        status.set_class(error, "error")
