"""The console's pictures: the latency chart (scale, time axis, a run as a tick, not a block),
step times stacked per run, and the size and file bars; rendered alone, then in the console."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from lakeconsole.core.run_trends import (
    LatencyPoint,
    RunSteps,
    latency_trend,
    step_durations,
    step_that_grew,
)
from lakeconsole.core.runs import RunRecord, StepRecord, new_run_id, runs_dir
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.charts import (
    BRAILLE,
    bar,
    latency_chart,
    legend,
    part_bar,
    seconds_scale,
    stack_bounds,
    stack_cell,
    stacked_steps_chart,
)
from lakeconsole.tui.latency_panel import LatencyChart
from lakeconsole.tui.screens.maintenance import MaintenanceScreen
from lakeconsole.tui.screens.tables import TablesScreen
from tests.maintenance_fixtures import make_table
from tests.test_tui_console import wait_for
from tests.tui_fixtures import (
    FIXED_NOW,
    SYNTHETIC,
    fixed_clock,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

DAY = 86400.0
NOV_11 = 1_794_398_400.0  # 2026-11-11 12:00 UTC


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def daily(latencies: list[float]) -> list[LatencyPoint]:
    return [LatencyPoint(f"r{i}", NOV_11 + i * DAY, v) for i, v in enumerate(latencies)]


def lines(text: Text) -> list[str]:
    return text.plain.splitlines()


def dots(cells: str) -> int:
    """How many braille dots are lit in `cells`."""
    return sum(bin(ord(c) - BRAILLE).count("1") for c in cells if ord(c) > BRAILLE)


def plot_area(text: Text, gutter: int = 3) -> list[str]:
    """The chart without its y labels and its time axis."""
    return [line[gutter:] for line in lines(text)[:-1]]


# --- the latency chart ---------------------------------------------------------------------


def test_the_scale_tops_at_a_round_number_above_the_slowest_run() -> None:
    assert seconds_scale(6.1).label(seconds_scale(6.1).top) == "8s"
    assert seconds_scale(4.0).top == 4.0
    assert seconds_scale(0.31).label(seconds_scale(0.31).top) == "0.4s"
    assert seconds_scale(100).label(seconds_scale(100).top) == "2m"
    assert seconds_scale(2.5 * 3600).label(seconds_scale(2.5 * 3600).top) == "3h"


def test_latency_chart_has_a_seconds_scale_and_the_run_dates_along_the_bottom() -> None:
    chart = latency_chart(daily([4.1, 3.9, 4.4, 4.0, 4.2, 5.8, 6.1]), width=17, height=4)
    rows = lines(chart)
    assert len(rows) == 4 and all(len(r) <= 17 for r in rows)
    assert rows[0].startswith("8s┤") and rows[2].startswith("0s┤")  # top and bottom of the scale
    assert rows[3].startswith("  └")
    assert "11 Nov" in rows[3] and "17 Nov" in rows[3]  # the oldest run's date, the newest's
    assert rows[3].index("11 Nov") < rows[3].index("17 Nov")


def test_runs_within_a_day_are_labelled_with_their_times_and_the_day() -> None:
    points = [LatencyPoint(f"r{i}", NOV_11 + i * 600, 3.0) for i in range(3)]
    axis = lines(latency_chart(points, width=30, height=5))[-1]
    assert "12:00" in axis and "11 Nov 12:20" in axis
    narrow = lines(latency_chart(points, width=12, height=5))[-1]
    assert narrow.rstrip().endswith("12:20")  # no room for the day: the time alone


def test_one_run_is_a_short_tick_not_a_solid_block() -> None:
    chart = latency_chart(daily([4.0]), width=17, height=4)
    plot = "".join(plot_area(chart, gutter=3))
    assert "█" not in plot
    assert 1 <= dots(plot) <= 2  # one run: its point and the dot under it
    assert "11 Nov" in lines(chart)[-1]


def test_each_run_stands_at_its_own_height() -> None:
    chart = latency_chart(daily([1.0, 8.0]), width=12, height=4)
    top, middle, bottom = plot_area(chart)
    assert top.rstrip() and top.strip()[-1] == top.rstrip()[-1]  # the 8 s run, top right
    assert top[0] == " " and bottom[0] != " "  # the 1 s run, bottom left
    assert not middle.strip()


def test_the_newest_run_stands_out() -> None:
    chart = latency_chart(daily([2.0, 3.0, 4.0]), width=17, height=4, newest_style="bold")
    rows = lines(chart)[:-1]
    newest_column = max(i for row in rows for i, c in enumerate(row) if ord(c) > BRAILLE)
    row = next(r for r, text in enumerate(rows) if ord(text[newest_column]) > BRAILLE)
    at = sum(len(text) + 1 for text in rows[:row]) + newest_column
    assert "bold" in [str(s.style) for s in chart.spans if s.start <= at < s.end]


def test_latency_chart_fits_any_panel() -> None:
    points = daily([float(v) for v in range(1, 40)])
    for width, height in ((17, 4), (27, 4), (60, 10), (8, 2)):
        rows = lines(latency_chart(points, width, height))
        assert len(rows) <= height and all(len(r) <= width for r in rows), (width, height)


def test_no_runs_says_so() -> None:
    assert latency_chart([], 17, 4).plain == "no completed runs yet"


# --- step times stacked per run ------------------------------------------------------------


def runs_of(steps: list[tuple[float, ...]]) -> list[RunSteps]:
    names = ("bronze_orders", "silver_orders", "gold_revenue")
    return [
        RunSteps(f"r{i}", NOV_11 + i * DAY, tuple(zip(names, took, strict=False)))
        for i, took in enumerate(steps)
    ]


def test_stacked_segments_are_as_tall_as_each_steps_time() -> None:
    # 1 s and 3 s on a 4 s scale of 4 rows (32 eighths): 8 and 24 eighths.
    assert stack_bounds([1.0, 3.0], top=4.0, eighths=32) == [0, 8, 32]
    chart = stacked_steps_chart(runs_of([(1.0, 3.0)]), width=6, height=5, palette=("red", "blue"))
    column = [line.rstrip()[-1] for line in lines(chart)[:4]]
    assert column == ["█"] * 4
    colours = [
        str(span.style.color.name)
        for span in chart.spans
        if set(chart.plain[span.start : span.end]) == {"█"} and span.style.color  # type: ignore[union-attr]
    ]
    assert colours.count("blue") == 3 and colours.count("red") == 1


def test_the_stack_of_a_run_twice_as_slow_is_twice_as_tall() -> None:
    fast, slow = stack_bounds([1.0, 1.0], 8.0, 32), stack_bounds([2.0, 2.0], 8.0, 32)
    assert slow[-1] == 2 * fast[-1] and slow[1] == 2 * fast[1]


def test_a_cell_where_one_step_ends_shows_the_next_behind_it() -> None:
    char, style = stack_cell([0, 3, 16], row=0, colours=("red", "blue"))
    assert char == "▃"  # 3 eighths of bronze in front
    assert style.color and style.color.name == "red"
    assert style.bgcolor and style.bgcolor.name == "blue"  # silver fills the rest of the cell
    assert stack_cell([0, 3, 16], row=2, colours=("red", "blue"))[0] == " "  # above the stack


def test_stacked_chart_has_a_scale_and_names_every_step() -> None:
    chart = stacked_steps_chart(runs_of([(1.0, 1.5, 1.6), (1.0, 1.5, 3.6)]), width=50, height=6)
    rows = lines(chart)
    assert rows[0].startswith("8s┤") and rows[-2].startswith("0s┤")
    assert all(name in rows[-1] for name in ("bronze_orders", "silver_orders", "gold_revenue"))
    assert all(len(r) <= 50 for r in rows)


def test_step_names_wrap_whole_before_they_are_cut() -> None:
    # 27 columns, as the dashboard's panel at 120x40: three names do not share one row.
    rows = lines(stacked_steps_chart(runs_of([(1.0, 2.0, 3.0)] * 5), width=27, height=8))
    assert rows[-3:] == ["■bronze_orders", "■silver_orders", "■gold_revenue"]
    assert len(rows) == 8 and all(len(r) <= 27 for r in rows)
    assert rows[0].startswith("6s┤") and rows[-4].startswith("0s┤")
    wide = lines(stacked_steps_chart(runs_of([(1.0, 2.0, 3.0)] * 5), width=50, height=8))
    assert wide[-1] == "■bronze_orders ■silver_orders ■gold_revenue"  # one row where it fits


def test_a_legend_without_room_names_the_steps_by_their_layer_word_before_cutting() -> None:
    # The dashboard's panel at 80x24: 4 rows, no room for rows of its own; `■bronze… ■silver…
    # ■gold_d…` was all it said.
    names = ["bronze_ingest", "silver_orders", "gold_daily_revenue"]
    assert legend(names, 27).plain.rstrip() == "■bronze ■silver ■gold"
    # Two steps of one layer: the first words do not tell them apart, so the names are cut.
    assert legend(["silver_orders", "silver_returns"], 20).plain.rstrip() == "■silver_… ■silver_…"


def test_stacked_chart_fits_the_dashboard_panel() -> None:
    rows = lines(stacked_steps_chart(runs_of([(1.0, 2.0, 3.0)] * 40), width=17, height=4))
    assert len(rows) == 4 and all(len(r) <= 17 for r in rows)
    assert rows[-1].startswith("■")


# --- the numbers behind them (core) ---------------------------------------------------------


def record(
    start: float, steps: list[tuple[str, str, float]], status: str = "succeeded"
) -> RunRecord:
    at, out = start, []
    for name, layer, took in steps:
        out.append(StepRecord(name, layer, "succeeded", at, at + took))
        at += took
    latency = at - start if status == "succeeded" else None
    return RunRecord(new_run_id(start), 1, "run", start, status, at, 10, latency, steps=out)


SHOP = [("bronze_orders", "bronze", 1.0), ("gold_revenue", "gold", 2.0)]
SLOWER_GOLD = [("bronze_orders", "bronze", 1.0), ("gold_revenue", "gold", 5.0)]


def test_step_durations_are_per_succeeded_run_oldest_first_in_pipeline_order() -> None:
    runs = [
        record(NOV_11 + 2 * DAY, SLOWER_GOLD),
        record(NOV_11 + DAY, SHOP[:1], status="failed"),
        record(NOV_11, SHOP),
    ]  # newest first, as load_runs gives them
    trend = step_durations(runs)
    assert [r.steps for r in trend] == [
        (("bronze_orders", 1.0), ("gold_revenue", 2.0)),
        (("bronze_orders", 1.0), ("gold_revenue", 5.0)),
    ]
    assert [p.latency_s for p in latency_trend(runs)] == [3.0, 6.0]


def test_the_step_that_grew_is_named() -> None:
    runs = [record(NOV_11 + i * DAY, SHOP) for i in range(4)] + [
        record(NOV_11 + 4 * DAY, SLOWER_GOLD)
    ]
    grew = step_that_grew(step_durations(runs))
    assert grew is not None and grew.step == "gold_revenue"
    assert (grew.last_s, grew.usual_s) == (5.0, 2.0)
    assert step_that_grew(step_durations(runs[:4])) is None  # nothing got slower


# --- bars ----------------------------------------------------------------------------------


def test_a_bar_is_scaled_to_the_largest_and_anything_shows() -> None:
    assert bar(1000, 1000, 10).plain == "█" * 10
    assert bar(500, 1000, 10).plain == "█" * 5 + " " * 5
    assert bar(1, 1000, 10).plain.strip() == "▏"  # a tiny table is not an empty one
    assert bar(0, 1000, 10).plain == " " * 10
    assert bar(0, 0, 4).plain == " " * 4  # an empty lake


def test_small_files_are_the_shaded_part_of_the_files_bar() -> None:
    cells = part_bar(part=30, whole=60, largest=60, width=12).plain
    assert cells == "▓" * 6 + "█" * 6
    assert part_bar(part=0, whole=15, largest=60, width=12).plain == "███" + " " * 9


# --- in the console ------------------------------------------------------------------------


def seed_runs(settings: Settings, gold_times: list[float]) -> None:
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i, gold in enumerate(gold_times):
        start = FIXED_NOW - (len(gold_times) - i) * DAY
        run = record(start, [("bronze_orders", "bronze", 1.0), ("gold_revenue", "gold", gold)])
        (folder / f"{run.run_id}.json").write_text(json.dumps(run.to_json()))


def panel_text(app: ConsoleApp) -> str:
    chart = app.board.query_one(LatencyChart)
    return chart.render().plain  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_dashboard_shows_latency_then_step_times_on_s(
    settings: Settings, size: tuple[int, int]
) -> None:
    seed_runs(settings, [2.0, 2.1, 1.9, 2.0, 4.5])
    settings = dataclasses.replace(settings, pipeline=SYNTHETIC)
    app = ConsoleApp(
        settings,
        synthetic_pipeline(),
        clock=fixed_clock,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )
    async with app.run_test(size=size) as pilot:
        chart = app.board.query_one(LatencyChart)
        await wait_for(pilot, lambda: chart.points, "the run history")
        await pilot.pause()
        shown = panel_text(app).splitlines()
        width, height = chart.content_size
        assert len(shown) == height and all(len(line) <= width for line in shown)
        assert shown[0].startswith("6s┤")  # 5.5 s, the slowest run, under a 6 s top
        assert (
            "└" in shown[-1] and time.strftime("%d %b", time.gmtime(FIXED_NOW - DAY)) in shown[-1]
        )
        assert chart.border_title == "Latency · 5.5s" and chart.border_subtitle == "s: steps"

        await pilot.press("s")
        await pilot.pause()
        shown = panel_text(app).splitlines()
        assert chart.show_steps and chart.border_title == "Steps · ↑gold_revenue"
        assert chart.border_subtitle == "s: latency"
        assert shown[-1].startswith("■") and "█" in "".join(shown[:-1])
        assert len(shown) == height and all(len(line) <= width for line in shown)

        await pilot.press("s")
        await pilot.pause()
        assert not chart.show_steps and panel_text(app).startswith("6s┤")


class ViewHost(App[None]):
    """One view alone, as the console opens it."""

    def __init__(self, settings: Settings, view: type[TablesScreen | MaintenanceScreen]) -> None:
        super().__init__()
        self.settings, self.view = settings, view

    def on_mount(self) -> None:
        self.push_screen(self.view(self.settings))


def append_files(path: str, files: int, rows: int) -> None:
    for n in range(files):
        write_deltalake(
            path, pa.table({"id": list(range(n * rows, (n + 1) * rows))}), mode="append"
        )


def cells_of(table: DataTable[Any], column: str, name_column: str = "Table") -> dict[str, str]:
    """Table name → the plain text of `column`."""
    headers = [str(c.label) for c in table.columns.values()]
    name, wanted = headers.index(name_column), headers.index(column)
    rows = (table.get_row_at(i) for i in range(table.row_count))
    return {str(r[name]): str(r[wanted]) for r in rows}


async def settle(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    for _ in range(300):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_tables_view_draws_each_tables_size_against_the_largest(settings: Settings) -> None:
    append_files(str(settings.data_dir / "silver" / "big"), files=1, rows=20_000)
    append_files(str(settings.data_dir / "silver" / "small"), files=1, rows=10)
    async with ViewHost(settings, TablesScreen).run_test(size=(120, 40)) as pilot:
        table = pilot.app.screen.query_one("#tables-list", DataTable)
        await settle(pilot, lambda: table.row_count == 2 and not table.loading, "the tables")
        bars = cells_of(table, "Size vs largest")
    assert bars["silver/big"] == "█" * 12
    small = bars["silver/small"].strip()
    assert small and len(small) < 3  # far smaller, still visible


async def test_maintenance_view_shades_the_small_files_of_each_table(settings: Settings) -> None:
    append_files(str(settings.data_dir / "silver" / "many"), files=4, rows=5)
    make_table(settings.data_dir / "silver" / "one", overwrites=0)
    async with ViewHost(settings, MaintenanceScreen).run_test(size=(120, 40)) as pilot:
        table = pilot.app.screen.query_one("#maintenance-tables", DataTable)
        await settle(pilot, lambda: table.row_count == 2, "the tables")
        bars = cells_of(table, "Files (▓ small)")
    assert bars["silver/many"] == "▓" * 15  # four files, all small, the most of any table
    # One file: a quarter of the longest bar, and a file alone in its table is not "small".
    assert bars["silver/one"].strip() == "███▊"


# --- pictures of the dashboard (regenerate: pytest tests/test_tui_charts.py --snapshot-update) --


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_dashboard_latency_snapshot(
    settings: Settings, snap_compare: Any, size: tuple[int, int]
) -> None:
    from tests.test_tui_snapshots import console, settle

    app = console(dataclasses.replace(settings, pipeline=SYNTHETIC))
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: settle(pilot, app))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_dashboard_step_times_snapshot(
    settings: Settings, snap_compare: Any, size: tuple[int, int]
) -> None:
    from tests.test_tui_snapshots import console, settle

    app = console(dataclasses.replace(settings, pipeline=SYNTHETIC))

    async def steps(pilot: Pilot[Any]) -> None:
        await settle(pilot, app)
        await pilot.press("s")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=steps)
