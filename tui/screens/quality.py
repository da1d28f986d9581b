"""The quality view: per silver table and rule, the share of lines rejected run after run, with a
chart of the selected rule and its thresholds; Enter on a rule pages through its quarantined
lines with their lineage (landing file, row number).

The console face of `lakeconsole quality` (cli/quality.py): both read core/quality.py. The
ledger and the quarantine table are read in thread workers that post messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static

from lakeconsole.core.quality import (
    PAGE_ROWS,
    RuleTrend,
    lake_quality,
    ledger_path,
    lineage_columns,
    quarantined_page,
    sparkline,
    trends,
)
from lakeconsole.core.runner import describe_error
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import StorageError, state_home
from lakeconsole.tui.charts import AXIS, DOT_BITS, UP_EIGHTHS, nice_ceiling, spread, time_axis
from lakeconsole.tui.fitted_columns import Column, fit_columns
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.screens.view import ConsoleView

RUNS_SHOWN = 30  # the runs a trend and its chart cover
COLUMNS = (
    Column("Table", 0, flex=True, min_width=12),
    Column("Rule", 0, flex=True, min_width=12),
    Column("Last run", 0),
    Column("Trend", 2),
    Column("Thresholds", 1, flex=True, min_width=9),
    Column("", 0),
)
CHART_ROWS = 6  # the chart's height with its time axis
POLL_S = 2.0
# A quarantined line's columns by how much they matter when 80 columns do not hold them all.
LINE_COLUMNS = {
    "_source_file": Column("_source_file", 0, flex=True, min_width=12),
    "_source_row": Column("_source_row", 0),
    "detail": Column("detail", 0, flex=True, min_width=20),
    "_ingested_at": Column("_ingested_at", 2),
    "_run_id": Column("_run_id", 1),
}
STATES = {"fail": "error", "warn": "warning"}  # theme variables: NO_COLOR keeps the words


def ledger_stamp(settings: Settings) -> tuple[int, int]:
    """The quality ledger's size and change time ((0, 0) while there is none), on this
    machine or in the lake's bucket (each run adds its line there)."""
    home = state_home(settings)
    try:
        if isinstance(home, Path):
            held = ledger_path(home).stat()
            return (held.st_size, held.st_mtime_ns)
        found = [f for f in home.files() if f.name == ledger_path(home).name]
    except (OSError, StorageError):
        return (0, 0)
    return (found[0].size, found[0].mtime_ms) if found else (0, 0)


class QualityLoaded(Message, bubble=False):
    def __init__(self, found: list[RuleTrend], tables: int, problem: str | None) -> None:
        super().__init__()
        self.found, self.tables, self.problem = found, tables, problem


class RowsLoaded(Message, bubble=False):
    def __init__(self, page: Any, problem: str | None) -> None:
        super().__init__()
        self.page, self.problem = page, problem


def percent(share: float) -> str:
    return f"{share:.2%}"


def state_words(trend: RuleTrend) -> str:
    """`FAIL`, `WARN`, `rising`, as `lakeconsole quality` says them."""
    return " ".join(w for w in (trend.breached.upper(), "rising" if trend.rising else "") if w)


def share_chart(trend: RuleTrend, width: int, height: int) -> Text:
    """The rule's rejected share per run as columns of eighth blocks (oldest left) on a y scale
    in percent, its fail (or warn) threshold drawn as a dotted row, run times along the bottom."""
    shares = trend.shares
    if not shares:
        return Text("no run checked lines yet", style=AXIS)
    limit = _drawn_limit(trend)
    rows = max(height - 1, 1)
    top = nice_ceiling(max([*shares, limit or 0.0]) * 100) / 100
    limit_row = None if limit is None else rows - 1 - min(int(limit / top * rows), rows - 1)
    labels = {0: f"{top * 100:g}%", rows - 1: "0%"}
    if limit is not None and limit_row is not None:
        labels.setdefault(limit_row, f"{limit * 100:g}%")
    gutter = max(len(x) for x in labels.values())
    plot_w = width - gutter - 1
    if plot_w < 2:
        return Text(f"last {percent(trend.last)}", style=AXIS)
    shown = shares[-plot_w:]
    times = trend.at[-plot_w:] if len(trend.at) >= len(shown) else []
    xs = spread(len(shown), plot_w)
    # Anything above 0 shows as at least an eighth: a rule that rejected one line is not none.
    eighths = [max(min(round(v / top * rows * 8), rows * 8), 1) if v > 0 else 0 for v in shown]
    dotted = chr(0x2800 + DOT_BITS[0][0] + DOT_BITS[0][1])
    out = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        label = labels.get(r, "")
        out.append(label.rjust(gutter) + ("┤" if label else "│"), style=AXIS)
        cells = [dotted if r == limit_row else " "] * plot_w
        styles = [AXIS if r == limit_row else ""] * plot_w
        low = (rows - 1 - r) * 8
        for x, e in zip(xs, eighths, strict=True):
            fill = min(max(e - low, 0), 8)
            if fill:
                cells[x], styles[x] = UP_EIGHTHS[fill], "bold" if x == xs[-1] else ""
        for char, style in zip(cells, styles, strict=True):
            out.append(char, style)
        out.append("\n")
    if times:
        out.append(" " * gutter + "└" + time_axis(times, xs, plot_w), style=AXIS)
    else:
        out.rstrip()
    return out


def _drawn_limit(trend: RuleTrend) -> float | None:
    """The threshold the chart draws: the fail one, else the warn one."""
    if trend.threshold is None:
        return None
    fail = trend.threshold.fail_above
    return fail if fail is not None else trend.threshold.warn_above


def chart_caption(trend: RuleTrend) -> str:
    """What the chart shows, in one line: the rule, its last share and count, its thresholds."""
    limits = trend.threshold.text() if trend.threshold else "no thresholds"
    return (
        f"{trend.rule} · last of {len(trend.shares)} run(s): {percent(trend.last)} "
        f"({trend.rejected[-1]:,} of {trend.checked[-1]:,}) · {limits}"
    )


class RuleList(DataTable[Text]):
    """Rules of every silver table; Enter (shown in the footer) opens a rule's lines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Lines",
            id="quality.open",
            tooltip="The rule's quarantined lines, with lineage",
        ),
    ]

    def watch_loading(self, loading: bool) -> None:
        self.refresh_bindings()


class QualityScreen(ConsoleView):
    """Per table and rule: the last run's rejected share, the trend, thresholds, and a chart."""

    CSS_PATH = "quality.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="quality.refresh",
            tooltip="Read the quality records again",
        ),
        Binding("escape", "back", "Back", id="quality.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.found: list[RuleTrend] = []
        self.columns: list[Column] = list(COLUMNS)
        self.rows: list[list[Text]] = []
        self._seen: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Label(
            f"Data quality: lines rejected per rule, last {RUNS_SHOWN} runs",
            id="quality-title",
            classes="title",
        )
        yield RuleList(id="quality-rules", cursor_type="row", zebra_stripes=True)
        yield Static("", id="quality-caption", markup=False)
        yield Static("", id="quality-chart", markup=False)
        yield Static("loading…", id="quality-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(RuleList)
        table.add_columns(*(c.header for c in COLUMNS))
        table.loading = True
        self.load()
        # A run that ends while the view is open shows within POLL_S (the ledger grew).
        self.set_interval(POLL_S, self.poll, name="quality ledger")

    @work(thread=True, exclusive=True, exit_on_error=False, group="quality-poll")
    def poll(self) -> None:
        stamp = ledger_stamp(self.settings)
        if stamp != self._seen:
            if self._seen is not None:
                self.load()
            self._seen = stamp

    def action_refresh(self) -> None:
        self.query_one("#quality-status", Static).update("loading…")
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, exit_on_error=False, group="quality-load")
    def load(self) -> None:
        self._seen = ledger_stamp(self.settings)
        try:
            records = lake_quality(self.settings)
            found = trends(records, RUNS_SHOWN)
            tables = len({r.table for r in records})
        except Exception as exc:  # an unreadable ledger is said on the screen
            self.post_message(QualityLoaded([], 0, describe_error(exc)))
            return
        self.post_message(QualityLoaded(found, tables, None))

    def on_quality_loaded(self, message: QualityLoaded) -> None:
        self.found = message.found
        table = self.query_one(RuleList)
        table.loading = False
        names = sorted({t.table for t in self.found})
        one = names[0] if len(names) == 1 else None
        # One table (the usual lake): named in the title, its column would only repeat it.
        title = f"Data quality{f' of {one}' if one else ''}: lines rejected per rule"
        self.query_one("#quality-title", Label).update(f"{title}, last {RUNS_SHOWN} runs")
        theme = self.app.get_css_variables()
        self.columns = list(COLUMNS[1:] if one else COLUMNS)
        self.rows = []
        for t in self.found:
            state = Text(state_words(t), style=theme.get(STATES.get(t.breached, ""), ""))
            self.rows.append(
                [
                    *([] if one else [Text(t.table)]),
                    Text(t.rule),
                    Text(f"{percent(t.last)} ({t.rejected[-1]:,})"),
                    Text(sparkline(t.shares[-12:])),
                    Text(t.threshold.text() if t.threshold else ""),
                    state,
                ]
            )
        self._fill()
        if self.found:
            table.focus()
        status = self.query_one("#quality-status", Static)
        if message.problem:
            status.update(f"could not read the quality records: {message.problem}")
        elif not self.found:
            run = key_of(self, "run")
            status.update(
                "No line rejected in the recorded runs"
                if message.tables
                else f"No quality records yet: a run that checks landing lines writes them "
                f"(press {run} on the dashboard)"
            )
        else:
            enter = key_of(self, "select_cursor")
            status.update(
                f"{len(self.found)} rule(s) of {message.tables} table(s) · {enter}: the rule's "
                "quarantined lines"
            )
        self.draw_chart()

    @property
    def selected(self) -> RuleTrend | None:
        table = self.query_one(RuleList)
        if not self.found or table.cursor_row < 0:
            return None
        return self.found[min(table.cursor_row, len(self.found) - 1)]

    @on(DataTable.RowHighlighted, "#quality-rules")
    def highlighted(self) -> None:
        self.draw_chart()

    @on(DataTable.RowSelected, "#quality-rules")
    def selected_rule(self) -> None:
        trend = self.selected
        if trend is not None:
            self.app.push_screen(QuarantinedLinesScreen(self.settings, trend))

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        if self.rows:
            self._fill()
        self.draw_chart()

    def _fill(self) -> None:
        """The rows in the columns that fit the width: the trend goes first, then the
        thresholds are cut; the rule, its share and WARN / FAIL always show."""
        keys = [f"{t.table}\t{t.rule}" for t in self.found]
        fit_columns(self.query_one(RuleList), self.columns, self.rows, keys, self.size.width)

    def draw_chart(self) -> None:
        trend = self.selected
        caption = self.query_one("#quality-caption", Static)
        chart = self.query_one("#quality-chart", Static)
        if trend is None:
            caption.update("")
            chart.update("")
            return
        caption.update(chart_caption(trend))
        width = max(self.size.width - 2, 10)
        chart.update(share_chart(trend, width, CHART_ROWS))


class QuarantinedLinesScreen(ConsoleView):
    """One rule's quarantined lines, a page at a time, each with the landing file and row
    number it came from and what was wrong."""

    CSS_PATH = "quality.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "greater_than_sign",
            "page(1)",
            "Next lines",
            id="lines.next-page",
            tooltip="Next page of lines",
            key_display=">",
        ),
        Binding(
            "less_than_sign",
            "page(-1)",
            "Prev lines",
            id="lines.prev-page",
            tooltip="Previous page of lines",
            key_display="<",
        ),
        Binding("escape", "back", "Back", id="lines.back", tooltip="Back to the rules"),
    ]

    def __init__(self, settings: Settings, trend: RuleTrend) -> None:
        super().__init__()
        self.settings = settings
        self.trend = trend
        self.start = 0
        self.total: int | None = None
        self.headers: list[str] = []
        self.lines: list[list[str]] = []

    def compose(self) -> ComposeResult:
        yield Label(
            f"{self.trend.quarantine} · rule {self.trend.rule}", id="lines-title", classes="title"
        )
        yield DataTable(id="quality-lines", cursor_type="row", zebra_stripes=True)
        yield Static("loading…", id="lines-status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#quality-lines", DataTable).loading = True
        self.load(self.start)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_page(self, step: int) -> None:
        offset = self.start + step * PAGE_ROWS
        if offset < 0 or (self.total is not None and offset >= self.total):
            edge = "first" if offset < 0 else "last"
            self.query_one("#lines-status", Static).update(
                f"{self.status_text()} · this is the {edge} page"
            )
            return
        self.start = offset
        self.load(offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="quality-lines")
    def load(self, offset: int) -> None:
        try:
            page = quarantined_page(self.settings, self.trend.quarantine, self.trend.rule, offset)
        except Exception as exc:  # a damaged quarantine: the line says so, with its fix
            self.post_message(RowsLoaded(None, describe_error(exc)))
            return
        self.post_message(RowsLoaded(page, None))

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        from lakeconsole.core.explorer.version import text_rows

        table = self.query_one("#quality-lines", DataTable)
        table.loading = False
        status = self.query_one("#lines-status", Static)
        if message.problem or message.page is None:
            status.update(f"cannot read {self.trend.quarantine}: {message.problem}")
            return
        page = message.page
        self.total = page.total_rows
        shown = page.table.select(lineage_columns(page.table.column_names))
        self.lines = [list(row) for row in text_rows(shown, width=60)]
        self.headers = shown.column_names
        self._fill()
        table.focus()
        status.update(self.status_text(shown.num_rows))

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        if self.headers:
            self._fill()

    def _fill(self) -> None:
        """The lines in the columns that fit: the file, the row and what failed always; the
        run id, then the ingest time, go first."""
        columns = [LINE_COLUMNS.get(h, Column(h, 1)) for h in self.headers]
        keys = [str(self.start + i) for i in range(len(self.lines))]
        table = self.query_one("#quality-lines", DataTable)
        fit_columns(table, columns, self.lines, keys, self.size.width)

    def status_text(self, n: int | None = None) -> str:
        total = self.total or 0
        if not total:
            return f"no line of rule {self.trend.rule} is quarantined in {self.trend.quarantine}"
        shown = n if n is not None else min(PAGE_ROWS, total - self.start)
        keys: Sequence[str] = [key_of(self, "page(1)"), key_of(self, "page(-1)")]
        return (
            f"lines {self.start + 1}-{self.start + shown} of {total:,} · "
            f"{keys[0]} / {keys[1]}: next / previous page"
        )
