"""One table's history: commits newest first, paged; open a version, compare, restore.

Keys (docs/console-keys.md): Enter opens the selected version; Space marks a version and C
compares the marked version with the selected one (without a mark: the selected version with the
one before it); R restores the table to the selected version after a confirmation; > loads
older commits; / searches the whole log (core/explorer/filters.find_commits) in a worker.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.explorer.compare import Comparison
from lakeconsole.core.explorer.filters import CommitSearch
from lakeconsole.core.explorer.history import DEFAULT_PAGE, Commit, HistoryPage
from lakeconsole.core.explorer.restore import RestorePlan
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.tui.filter_bar import FilterBar, count_text
from lakeconsole.tui.fitted_columns import Column, cut, fit_columns
from lakeconsole.tui.keys import FILTER, key_of
from lakeconsole.tui.screens.table_compare import CompareScreen, KeysScreen
from lakeconsole.tui.screens.tables import describe
from lakeconsole.tui.screens.view import ConsoleView

# At 80 columns the schema, then the parameters give way to the counts.
COLUMNS = (
    Column("Version", rank=0),
    Column("Time", rank=0),
    Column("Operation", rank=0),
    Column("Parameters", rank=2, flex=True, min_width=10, width=30),
    Column("Changes", rank=1),
    Column("Schema", rank=3),
)
MARK = "● "


class CommitsLoaded(Message, bubble=False):
    def __init__(self, page: HistoryPage, append: bool) -> None:
        super().__init__()
        self.page, self.append = page, append


class RestorePlanned(Message, bubble=False):
    def __init__(self, plan: RestorePlan) -> None:
        super().__init__()
        self.plan = plan


class Restored(Message, bubble=False):
    def __init__(self, target: int, new_version: int) -> None:
        super().__init__()
        self.target, self.new_version = target, new_version


class Compared(Message, bubble=False):
    def __init__(self, result: Comparison) -> None:
        super().__init__()
        self.result = result


class CommitsFound(Message, bubble=False):
    def __init__(self, found: CommitSearch) -> None:
        super().__init__()
        self.found = found


class KeysNeeded(Message, bubble=False):
    def __init__(self, old: int, new: int, reason: str) -> None:
        super().__init__()
        self.old, self.new, self.reason = old, new, reason


class CommitList(DataTable[str]):
    """The commits; Enter (shown in the footer) opens the selected version."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open version",
            id="history.open",
            tooltip="Open the selected version",
        ),
    ]

    def watch_loading(self, loading: bool) -> None:
        self.refresh_bindings()  # the footer shows Enter again once loaded (see TableList)


class TableHistoryScreen(ConsoleView):
    """The commits of one table; the start of time travel."""

    CSS_PATH = "tables.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "mark",
            "Mark",
            id="history.mark",
            tooltip="Mark a version to compare with",
        ),
        Binding(
            "C",
            "compare",
            "Compare",
            id="history.compare",
            tooltip="Compare marked and selected version",
        ),
        Binding(
            "R",
            "restore",
            "Restore",
            id="history.restore",
            tooltip="Restore the table to this version…",
        ),
        Binding(
            "greater_than_sign",
            "more",
            "Older",
            id="history.next-page",
            tooltip="Load older commits",
            key_display=">",
        ),
        FILTER,
        # Reloads are rare: `?` lists it, the footer keeps room at 80 columns for the rest.
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="history.refresh",
            tooltip="Reload the history",
            show=False,
        ),
        Binding("escape", "back", "Back", id="history.back", tooltip="Back to the tables"),
    ]

    def __init__(
        self, settings: Settings, path: LakePath, name: str, page_size: int = DEFAULT_PAGE
    ) -> None:
        super().__init__()
        self.settings, self.path, self.table_name = settings, path, name
        self.page_size = page_size
        self.commits: list[Commit] = []
        self.latest: int | None = None
        self.next_before: int | None = None
        self.marked: int | None = None
        self.in_log = 0  # commits in the log (the history loads them a page at a time)
        self.busy = False
        self.filter_text = ""
        self.found: CommitSearch | None = None  # the `/` filter's answer

    def compose(self) -> ComposeResult:
        yield Label(f"History of {self.table_name}", id="history-title", classes="title")
        yield CommitList(id="history-list", cursor_type="row", zebra_stripes=True)
        yield FilterBar(
            "Operation, text in the row, or a version number, then Enter", id="history-filter"
        )
        yield Static("", id="history-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.shown: list[Commit] = []  # the rows of the list, in its order
        self.action_refresh()

    def on_resize(self, event: Resize) -> None:
        if self.shown:
            self._fill(self.shown)

    def _fill(self, commits: list[Commit]) -> None:
        """`commits` as the rows, in the columns that fit the screen's width."""
        self.shown = commits
        table = self.query_one("#history-list", DataTable)
        rows = [self._cells(c) for c in commits]
        fit_columns(table, COLUMNS, rows, [str(c.version) for c in commits], self.size.width)
        self.version_column = next(iter(table.columns))

    # --- loading ---------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.query_one("#history-list", DataTable).loading = True
        self._status("loading…")
        self.load_page(None, append=False)

    def action_more(self) -> None:
        if self.filter_text:
            self.notify("The filter searched the whole log: Escape shows the pages again.")
            return
        if self.next_before is None:
            self.notify("That is the oldest commit in the log.")
            return
        self._status("loading older commits…")
        self.load_page(self.next_before, append=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-load")
    def load_page(self, before: int | None, append: bool) -> None:
        from lakeconsole.core.explorer.history import history_page

        self.post_message(CommitsLoaded(history_page(self.path, before, self.page_size), append))

    def on_commits_loaded(self, message: CommitsLoaded) -> None:
        table = self.query_one("#history-list", DataTable)
        table.loading = False
        page = message.page
        if not message.append:
            self.commits = []
            self.marked = None
        self.latest, self.next_before = page.latest, page.next_before
        self.in_log = page.latest - page.oldest_available + 1
        self.commits.extend(page.commits)
        if self.filter_text:
            self._search(self.filter_text)  # the log changed (a restore, a reload): again
        else:
            self._fill(self.commits)
            self._loaded_status()
        table.focus()

    def _loaded_status(self) -> None:
        more = (
            f"; {key_of(self, 'more')}: older commits (below {self.next_before})"
            if self.next_before is not None
            else "; oldest commit reached"
        )
        self._status(
            f"{len(self.commits)} of {self.in_log} "
            f"commits shown, latest version {self.latest}{more}"
        )

    # --- `/`: the whole log, searched in a worker -----------------------------------------
    def action_filter(self) -> None:
        self.query_one("#history-filter", FilterBar).open()

    @on(FilterBar.Applied, "#history-filter")
    def _filter_changed(self, event: FilterBar.Applied) -> None:
        self._set_filter(event.text)

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self.query_one("#history-filter", FilterBar).applied = text
        if text:
            self._search(text)
            return
        self.found = None
        self._show_rows(self.commits)
        self._loaded_status()

    def _search(self, text: str) -> None:
        self.query_one("#history-list", DataTable).loading = True
        self._status(f"searching the log for '{text}'…")
        self.search(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-find")
    def search(self, text: str) -> None:
        from textual.worker import get_current_worker

        from lakeconsole.core.explorer.filters import find_commits

        worker = get_current_worker()
        self.post_message(
            CommitsFound(find_commits(self.path, text, stop=lambda: worker.is_cancelled))
        )

    def on_commits_found(self, message: CommitsFound) -> None:
        found = message.found
        if found.text != self.filter_text.strip():
            return  # an answer for a filter the user already changed
        self.found = found
        self.query_one("#history-list", DataTable).loading = False
        self._show_rows(found.commits)
        newest = "" if found.all_shown else f"; the newest {len(found.commits)} are listed"
        self._status(
            f"{count_text(found.matched, found.in_log, 'commits')} match '{found.text}'"
            f"{newest}; {key_of(self, 'back')}: show all"
        )

    def _show_rows(self, commits: list[Commit]) -> None:
        """`commits` in the list, the cursor kept on the same version when it is among them."""
        table = self.query_one("#history-list", DataTable)
        selected = self.selected_version()
        self._fill(commits)
        if selected is not None and str(selected) in {str(k.value) for k in table.rows}:
            table.move_cursor(row=table.get_row_index(str(selected)))
        title = f"History of {self.table_name}"
        if self.found is not None and self.filter_text:
            shown = count_text(self.found.matched, self.found.in_log, "commits")
            title += f" matching '{self.found.text}': {shown}"
        self.query_one("#history-title", Label).update(title)
        table.focus()

    def _cells(self, commit: Commit) -> tuple[str, ...]:
        label = (MARK if commit.version == self.marked else "") + str(commit.version)
        return (
            label,
            commit.local_time,
            commit.operation,
            cut(commit.key_parameters(), 48),
            commit.metrics_line(),
            commit.schema_version or "",
        )

    def selected_version(self) -> int | None:
        table = self.query_one("#history-list", DataTable)
        if table.row_count == 0:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    # --- open a version --------------------------------------------------------------------
    @on(DataTable.RowSelected, "#history-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(str(event.row_key.value)))

    def _open(self, version: int) -> None:
        from lakeconsole.tui.screens.table_version import TableVersionScreen

        self.app.push_screen(
            TableVersionScreen(self.settings, self.path, self.table_name, version, self.latest)
        )

    # --- compare ---------------------------------------------------------------------------
    def action_mark(self) -> None:
        version = self.selected_version()
        if version is None:
            return
        previous = self.marked
        self.marked = None if previous == version else version
        table = self.query_one("#history-list", DataTable)
        shown = {str(k.value) for k in table.rows}
        for v in (previous, version):
            if v is not None and str(v) in shown:
                table.update_cell(
                    str(v), self.version_column, (MARK if v == self.marked else "") + str(v)
                )
        if self.marked is not None:
            self._status(
                f"version {self.marked} marked: select another version and press "
                f"{key_of(self, 'compare')}"
            )

    def action_compare(self, keys: list[str] | None = None) -> None:
        version = self.selected_version()
        if version is None:
            return
        other = self.marked if self.marked is not None and self.marked != version else version - 1
        if other < 0:
            mark = key_of(self, "mark")
            self.notify(f"Version 0 has nothing before it: mark a version with {mark} first.")
            return
        old, new = min(other, version), max(other, version)
        self._compare(old, new, keys)

    def _compare(self, old: int, new: int, keys: list[str] | None) -> None:
        self._status(f"comparing versions {old} and {new}…")
        self.run_compare(old, new, keys)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-compare")
    def run_compare(self, old: int, new: int, keys: list[str] | None) -> None:
        from lakeconsole.core.explorer.compare import compare_versions
        from lakeconsole.core.explorer.table import KeyNeeded

        try:
            result = compare_versions(
                self.path, old, new, keys, name=self.table_name, settings=self.settings
            )
        except KeyNeeded as exc:
            # No key known, or the one typed is not unique: ask (again), saying why.
            self.post_message(KeysNeeded(old, new, str(exc)))
            return
        self.post_message(Compared(result))

    def on_keys_needed(self, message: KeysNeeded) -> None:
        self._status("")

        def answered(text: str | None) -> None:
            keys = [k.strip() for k in (text or "").split(",") if k.strip()]
            if keys:
                self._compare(message.old, message.new, keys)

        self.app.push_screen(KeysScreen(message.reason), answered)

    def on_compared(self, message: Compared) -> None:
        r = message.result
        self._status(
            f"versions {r.old} → {r.new}: +{r.added:,} added, -{r.removed:,} removed, "
            f"~{r.changed:,} changed"
        )
        self.app.push_screen(CompareScreen(self.table_name, r))

    # --- restore ---------------------------------------------------------------------------
    def action_restore(self) -> None:
        version = self.selected_version()
        if version is None or self.busy:
            return
        self._status(f"checking version {version}…")
        self.plan(version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-restore")
    def plan(self, version: int) -> None:
        from lakeconsole.core.explorer.restore import plan_restore

        self.post_message(RestorePlanned(plan_restore(self.path, version)))

    def on_restore_planned(self, message: RestorePlanned) -> None:
        from lakeconsole.tui.modals import ConfirmScreen, ErrorScreen

        plan = message.plan
        if plan.missing_files:
            self._status("")
            self.app.push_screen(
                ErrorScreen(
                    f"Cannot restore {self.table_name} to version {plan.target}: "
                    f"{len(plan.missing_files)} of its data files were removed by a VACUUM. "
                    "Restore from a backup, or pick a newer version.",
                    title="Restore refused",
                )
            )
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.busy = True
                self._status(f"restoring to version {plan.target}…")
                self.restore(plan)
            else:
                self._status("restore cancelled: nothing changed")

        # The check is done: the line says what is asked now, not "checking version N…".
        self._status(f"restore to version {plan.target}? (answer in the dialog)")
        self.app.push_screen(
            ConfirmScreen(
                plan.summary(self.table_name),
                title="Restore table?",
                confirm="Restore",
                danger=True,
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-restore")
    def restore(self, plan: RestorePlan) -> None:
        from lakeconsole.core.explorer.restore import restore_version

        self.post_message(Restored(plan.target, restore_version(plan, self.settings)))

    def on_restored(self, message: Restored) -> None:
        self.busy = False
        self.notify(
            f"Restored {self.table_name} to version {message.target}; "
            f"the RESTORE is version {message.new_version}."
        )
        self.action_refresh()

    # --- common ----------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.busy = False
            self.query_one("#history-list", DataTable).loading = False
            self._status(describe(event.worker.error), error=True)

    def action_back(self) -> None:
        if self.filter_text:  # Escape clears the filter first, as in the bar
            self._set_filter("")
            return
        self.app.pop_screen()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#history-status", Static)
        status.update(text)
        status.set_class(error, "error")
