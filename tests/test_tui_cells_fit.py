"""At 80 columns the explorer's lists keep their useful columns on the screen: the tables list
has no layer column repeating the name's start (the size fits), a history's parameters are cut
with an ellipsis to the width left after the changes, and grow back when the terminal does."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import DataTable

from lakeconsole.core.settings import Settings
from tests.explorer_fixtures import orders_table
from tests.test_explorer_screen import ExplorerApp, loaded, open_history, rows_of, wait_for


async def test_the_tables_list_and_a_history_fit_80_columns_and_use_120(
    settings: Settings,
) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    app = ExplorerApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app, "#tables-list"), "the tables")
        tables = app.screen.query_one("#tables-list", DataTable)
        labels = [str(c.label) for c in tables.columns.values()]
        assert labels[:5] == ["Table", "Version", "Rows", "Files", "Size"]
        size_ends = sum(c.get_render_width(tables) for c in list(tables.columns.values())[:5])
        assert size_ends <= 80  # the size is on the screen
        await open_history(pilot, app)
        history = app.screen.query_one("#history-list", DataTable)
        labels = [str(c.label) for c in history.columns.values()]
        assert labels[:5] == ["Version", "Time", "Operation", "Changes", "Parameters"]
        rows = rows_of(app, "#history-list")
        created = rows[-1]  # version 0: mode=ErrorIfExists, wider than the room left
        assert created[4].endswith("…") and cell_len(created[4]) <= 12
        widths = [c.get_render_width(history) for c in history.columns.values()]
        assert sum(widths[:4]) <= 80  # through the changes, on the screen
        await pilot.resize_terminal(120, 40)
        await wait_for(
            pilot,
            lambda: rows_of(app, "#history-list")[-1][4] == "mode=ErrorIfExists",
            "the parameters whole at 120 columns",
        )
        await pilot.pause()
        widths = [c.get_render_width(history) for c in history.columns.values()]
        assert sum(widths) <= 120, widths  # every column, the schema too
