"""Where a gold row came from (Enter on a gold row of a version): the silver rows that make it
up with their landing file:line, then the superseded and quarantined lines of the same keys.
The trace of `lakeconsole trace`, from the same core function, read in a thread worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import Worker, WorkerState, get_current_worker

from lakeconsole.core.settings import Settings
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.screens.view import ConsoleView

if TYPE_CHECKING:
    from lakeconsole.core.lineage.trace import Trace

PAGE_ROWS = 50


class TraceLoaded(Message, bubble=False):
    def __init__(self, found: Trace) -> None:
        super().__init__()
        self.found = found


class TraceScreen(ConsoleView):
    """One gold row traced to its silver rows and landing lines."""

    CSS_PATH = "trace.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "greater_than_sign",
            "page(1)",
            "Next rows",
            id="trace.next-page",
            tooltip="Next page of silver rows",
            key_display=">",
        ),
        Binding(
            "less_than_sign",
            "page(-1)",
            "Prev rows",
            id="trace.prev-page",
            tooltip="Previous page of silver rows",
            key_display="<",
        ),
        Binding("escape", "back", "Back", id="trace.back", tooltip="Back to the version's rows"),
    ]

    def __init__(
        self,
        settings: Settings,
        table: str,
        row: Mapping[str, Any],
        version: int | None = None,
        page_size: int = PAGE_ROWS,
    ) -> None:
        super().__init__()
        self.settings, self.table_name, self.row = settings, table, dict(row)
        self.version, self.page_size = version, page_size
        self.row_offset = 0
        self.found: Trace | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"Trace of a row of {self.table_name}", id="trace-title", classes="title")
        yield Static("", id="trace-row", markup=False)
        yield Label("Silver rows", id="trace-rows-title", classes="title")
        yield DataTable(id="trace-rows", cursor_type="row", zebra_stripes=True)
        yield Label("Superseded and quarantined lines", id="trace-others-title", classes="title")
        yield DataTable(id="trace-others", cursor_type="row", zebra_stripes=True)
        yield Static("", id="trace-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trace-others", DataTable).add_columns("what", "landing line", "why", "key")
        self._load()

    def _load(self) -> None:
        for selector in ("#trace-rows", "#trace-others"):
            self.query_one(selector, DataTable).loading = True
        self._status("tracing…")
        self.trace(self.row_offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="trace")
    def trace(self, offset: int) -> None:
        from lakeconsole.core.lineage.trace import gold_key, trace_row

        worker = get_current_worker()
        key = gold_key(self.settings, self.table_name, self.row)
        found = trace_row(
            self.settings,
            self.table_name,
            key,
            version=self.version,
            limit=self.page_size,
            offset=offset,
            cancelled=lambda: worker.is_cancelled,
        )
        if not worker.is_cancelled:
            self.post_message(TraceLoaded(found))

    def on_trace_loaded(self, message: TraceLoaded) -> None:
        from lakeconsole.core.explorer.version import cell_text

        found = self.found = message.found
        self.query_one("#trace-title", Label).update(
            f"{found.gold} v{found.version}: {found.key_text()}"
        )
        measures = " · ".join(f"{k} {cell_text(v, 24)}" for k, v in found.measures().items())
        self.query_one("#trace-row", Static).update("\n".join([measures, *found.notes]))
        self._fill_rows(found)
        self._fill_others(found)
        self._status(self._summary(found))

    def _fill_rows(self, found: Trace) -> None:
        from lakeconsole.core.lineage.text import line_text, values_text

        rows = self.query_one("#trace-rows", DataTable)
        rows.loading = False
        rows.clear(columns=True)
        several = len(found.silver) > 1  # the table's name is worth a column only then
        rows.add_columns(*(["table"] if several else []), "landing line", "values")
        for silver in found.silver:
            columns = silver.shown_columns()
            named = [silver.table.split("/")[-1]] if several else []
            for r in silver.rows.to_pylist():
                line = line_text(r["_source_file"], r["_source_row"])
                rows.add_row(*named, line, values_text(r, columns))
        totals = ", ".join(f"{s.total:,}" for s in found.silver)
        first = found.silver[0] if found.silver else None
        span = ""
        if first is not None and first.rows.num_rows:
            span = f" ({first.offset + 1}-{first.offset + first.rows.num_rows} shown)"
        self.query_one("#trace-rows-title", Label).update(f"Silver rows: {totals}{span}")

    def _fill_others(self, found: Trace) -> None:
        from lakeconsole.core.explorer.version import cell_text
        from lakeconsole.core.lineage.text import key_text, line_text

        others = self.query_one("#trace-others", DataTable)
        others.loading = False
        others.clear()
        counts = []
        for silver in found.silver:
            for r in silver.superseded.to_pylist():
                why = f"replaced by {line_text(r['by_file'], r['by_row'])}"
                line = line_text(r["_source_file"], r["_source_row"])
                others.add_row("superseded", line, why, key_text(r, silver.key))
            for r in silver.quarantined.to_pylist():
                why = f"{r.get('rule')}: {cell_text(r.get('detail'), 60)}"
                line = line_text(r["_source_file"], r["_source_row"])
                others.add_row("quarantined", line, why, key_text(r, silver.key))
            counts.append(
                f"{silver.superseded.num_rows:,} superseded in {silver.bronze}, "
                f"{silver.quarantined.num_rows:,} quarantined"
            )
        self.query_one("#trace-others-title", Label).update(
            "Other landing lines: " + ("; ".join(counts) or "none")
        )

    def _summary(self, found: Trace) -> str:
        more = [s for s in found.silver if s.offset + s.rows.num_rows < s.total]
        hint = f"{key_of(self, 'page(1)')}: next rows; " if more else ""
        hint += f"{key_of(self, 'page(-1)')}: previous rows; " if self.row_offset else ""
        notes = [n for s in found.silver for n in s.notes]
        said = "; ".join(notes) + ". " if notes else ""
        return f"{said}{hint}{key_of(self, 'back')}: back"

    def action_page(self, step: int) -> None:
        if self.found is None:
            return
        if step > 0 and not any(s.offset + s.rows.num_rows < s.total for s in self.found.silver):
            self.notify("That is the last page.")
            return
        if step < 0 and self.row_offset == 0:
            return
        self.row_offset = max(0, self.row_offset + step * self.page_size)
        self._load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            for selector in ("#trace-rows", "#trace-others"):
                self.query_one(selector, DataTable).loading = False
            self._status(trace_failure(event.worker.error), error=True)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#trace-status", Static)
        status.update(text)
        status.set_class(error, "error")


def trace_failure(exc: BaseException) -> str:
    """One line for why a trace failed (the core's own line when it says why)."""
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.tui.screens.tables import describe

    return str(exc) if isinstance(exc, PipelineError) else describe(exc)
