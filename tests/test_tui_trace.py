"""The console's trace (Enter on a row of a gold table's version): the silver rows behind it
with their landing lines, and the superseded and quarantined lines of the same keys, read in a
worker from the core function `lakeconsole trace` prints; on a silver row, its own line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable

from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.tui.screens.table_version import TableVersionScreen
from lakeconsole.tui.screens.trace import TraceScreen
from tests.screen_walks import loaded, text_of, until
from tests.test_trace import GOLD, PLANT, plant  # noqa: F401 (the lake fixture)
from tests.test_tui_walk_120 import screen_lines

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


class Host(App[None]):
    """Opens one table version, as the history's Enter does."""

    def __init__(self, first: Screen[None]) -> None:
        super().__init__()
        self.first = first

    def on_mount(self) -> None:
        self.push_screen(self.first)


@pytest.fixture
def lake(plant: Callable[..., Any], env: dict[str, str]) -> Settings:  # noqa: F811
    return load_settings({**env, "LAKECONSOLE_PIPELINE": PLANT})


def version_of(settings: Settings, name: str, version: int | None = None) -> Host:
    path = settings.data_dir / name
    latest = DeltaTable(str(path)).version()
    shown = latest if version is None else version
    return Host(TableVersionScreen(settings, path, name, shown, latest))


async def open_trace(pilot: Pilot[Any], app: Host) -> None:
    await until(
        pilot,
        lambda: isinstance(app.screen, TableVersionScreen) and loaded(app, "#version-rows"),  # type: ignore[arg-type]
        "the gold version's rows",
    )
    assert "⏎: where the row came from" in text_of(app, "#version-status")  # type: ignore[arg-type]
    await pilot.press("enter")  # the first row: day 2024-01-05, site north
    await until(
        pilot,
        lambda: isinstance(app.screen, TraceScreen) and app.screen.found is not None,
        "the trace",
    )


def cells(app: Host, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_enter_on_a_gold_row_traces_it_to_its_landing_lines(lake: Settings) -> None:
    app = version_of(lake, GOLD)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_trace(pilot, app)
        assert "gold/plant/daily_site v" in str(app.screen.query_one("#trace-title").content)
        assert "day=2024-01-05 site=north" in str(app.screen.query_one("#trace-title").content)
        rows = cells(app, "#trace-rows")
        assert [r[0] for r in rows] == ["readings_0001.csv:1", "readings_0002.csv:1"]
        assert rows[1][1] == "sensor_id=s2 reading_ts=2024-01-05 02:00:00Z value=2.5"
        others = cells(app, "#trace-others")
        assert [r[:2] for r in others] == [
            ["superseded", "readings_0001.csv:2"],
            ["quarantined", "readings_0002.csv:2"],
            ["quarantined", "readings_0002.csv:3"],
        ]
        assert others[0][2] == "replaced by readings_0002.csv:1"
        assert others[1][2].startswith("value_too_low: ")
        footer = [b.binding.description for b in app.screen.active_bindings.values()]
        assert "Back" in footer and "Next rows" in footer
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TableVersionScreen), "back")


async def test_an_older_gold_version_is_traced_over_the_lake_as_it_was(
    lake: Settings, home: Path
) -> None:
    first = int((home / "first-gold-version").read_text())
    app = version_of(lake, GOLD, first)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_trace(pilot, app)
        assert f"{GOLD} v{first}:" in str(app.screen.query_one("#trace-title").content)
        assert "total 3.5" in str(app.screen.query_one("#trace-row").content)
        rows = cells(app, "#trace-rows")
        assert [r[0] for r in rows] == ["readings_0001.csv:1", "readings_0001.csv:2"]
        assert cells(app, "#trace-others") == []


async def test_enter_on_a_silver_row_names_its_own_landing_line(lake: Settings) -> None:
    app = version_of(lake, "silver/readings")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: loaded(app, "#version-rows"), "the silver rows")  # type: ignore[arg-type]
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, TableVersionScreen)
        status = text_of(app, "#version-status")  # type: ignore[arg-type]
        assert status.startswith("this row came from readings_000")
        assert (
            "ingested " in status
            and "a trace of where a number came from starts from a gold row" in status
        )


async def test_a_gold_table_a_custom_step_writes_says_why_it_cannot_be_traced(
    lake: Settings,
) -> None:
    app = version_of(lake, "gold/plant/peaks")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: loaded(app, "#version-rows"), "the peaks rows")  # type: ignore[arg-type]
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, TraceScreen)
                and "custom step" in text_of(app, "#trace-status")
            ),  # type: ignore[arg-type]
            "the refusal",
        )
        status = text_of(app, "#trace-status")  # type: ignore[arg-type]
        assert "written by the custom step site_peaks" in status and "\n" not in status


@SIZES
def test_trace_snapshot(lake: Settings, snap_compare: Any, size: tuple[int, int]) -> None:
    app = version_of(lake, GOLD)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: open_trace(pilot, app))


async def test_a_key_longer_than_the_screen_wraps_in_the_trace_title(lake: Settings) -> None:
    """At 80 columns the sales mart's key (four columns) ran past the edge and was cut; the
    plant's shorter key shows it at 40."""
    app = version_of(lake, GOLD)
    async with app.run_test(size=(40, 24)) as pilot:
        await open_trace(pilot, app)
        await pilot.pause()
        text = " ".join(" ".join(screen_lines(app)).split())  # type: ignore[arg-type]
        assert "day=2024-01-05 site=north" in text
