"""The tables, history and maintenance lists at 80 and 120 columns: every column shown fits the
screen (no cell cut by the edge, nothing hidden off to the side), the most useful are kept, and a
value too long for its column ends in … instead of being cut mid-word."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from lakeconsole.core.settings import Settings
from lakeconsole.tui.fitted_columns import Column, fit_widths
from tests.screen_walks import layout_lake, open_history, open_maintenance, open_tables
from tests.test_tui_snapshots import console

SMALL, LARGE = (80, 24), (120, 40)
LISTS = {
    "tables": (open_tables, "#tables-list", {"Table", "Rows", "Size", "Flags"}),
    "history": (open_history, "#history-list", {"Version", "Time", "Operation", "Changes"}),
    "maintenance": (
        open_maintenance,
        "#maintenance-tables",
        {"Table", "Size", "Last vacuum", "Overdue", "Retention"},
    ),
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return layout_lake(settings)


pytestmark = pytest.mark.usefixtures("utc")  # the fixture: tests/conftest.py


def headers(table: DataTable[Any]) -> list[str]:
    return [str(c.label) for c in table.columns.values()]


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
@pytest.mark.parametrize("view", sorted(LISTS))
async def test_every_column_shown_fits_the_screen(
    settings: Settings, size: tuple[int, int], view: str
) -> None:
    walk, selector, kept = LISTS[view]
    app = console(settings)
    async with app.run_test(size=size) as pilot:
        await walk(pilot, app)
        table = app.screen.query_one(selector, DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width, (
            f"the {view} list is {table.virtual_size.width} cells wide at {size[0]} columns: "
            f"its last columns are cut or off the edge ({headers(table)})"
        )
        assert kept <= set(headers(table))


def test_the_least_useful_column_goes_first_and_a_long_value_is_cut_with_an_ellipsis() -> None:
    columns = [
        Column("Name", rank=0, flex=True, min_width=6),
        Column("Rows", rank=1),
        Column("Layer", rank=2),
    ]
    rows = [("quarantine/orders_rejected", "1,000", "quarantine")]
    # 26 + 5 + 10 cells of content and 2 of padding each: 47 fit; 40 drop the layer; 20 the
    # rows too, and the name (rank 0) is cut to what is left, never below its minimum.
    assert fit_widths(columns, rows, 47) == [26, 5, 10]
    assert fit_widths(columns, rows, 40) == [26, 5, None]
    assert fit_widths(columns, rows, 20) == [18, None, None]
    assert fit_widths(columns, rows, 5) == [6, None, None]


def test_a_cut_value_ends_in_an_ellipsis() -> None:
    from lakeconsole.tui.fitted_columns import cut

    assert cut("mergePredicate=t.order_date IN", 10) == "mergePred…"
    assert cut("short", 10) == "short"
