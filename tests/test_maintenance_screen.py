"""The console's maintenance view through Pilot: the vacuum preview and its confirmation."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from lakeconsole.core.applog import setup_logging
from lakeconsole.core.maintenance.ledger import read_records
from lakeconsole.core.settings import Settings
from lakeconsole.tui.screens.maintenance import MaintenanceScreen, VacuumPreviewScreen
from tests.maintenance_fixtures import backdate_tombstones, data_files, make_table


class Host(App[None]):
    """The smallest app that opens the view, as the console does on `m`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(MaintenanceScreen(self.settings))


async def _settle(pilot: Pilot[Any]) -> None:
    """Wait for the view's workers (not the console's endless watchers), twice: a worker's
    message may start the next one."""
    for _ in range(3):
        mine = [w for w in pilot.app.workers if w.group.startswith("maintenance")]
        if mine:  # an empty list would mean "every worker"
            await pilot.app.workers.wait_for_complete(mine)
        await pilot.pause()


async def test_vacuum_shows_the_dry_run_then_deletes_on_confirm(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    backdate_tombstones(table, commit=1, days=8)  # the first overwrite expired, the second not
    before = data_files(table)
    async with Host(settings).run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        rows = pilot.app.screen.query_one("#maintenance-tables", DataTable)
        assert rows.row_count == 1 and rows.get_row_at(0)[0] == "silver/orders"
        await pilot.press("v")
        await _settle(pilot)
        preview = pilot.app.screen
        assert isinstance(preview, VacuumPreviewScreen)
        assert "1 file(s)" in str(preview.query_one("#preview-files Static", Static).render())
        assert data_files(table) == before  # a preview deletes nothing
        await pilot.click("#confirm")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, MaintenanceScreen)
        status = str(pilot.app.screen.query_one("#maintenance-status", Static).render())
        assert "silver/orders: deleted 1 file(s)" in status
    assert len(data_files(table)) == len(before) - 1
    assert [r["table"] for r in read_records(settings.state_dir, "vacuum")] == ["silver/orders"]


async def test_cancelling_the_preview_deletes_nothing(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    backdate_tombstones(table, commit=1, days=8)
    before = data_files(table)
    async with Host(settings).run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("v")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, VacuumPreviewScreen)
        await pilot.press("escape")
        await _settle(pilot)
        status = str(pilot.app.screen.query_one("#maintenance-status", Static).render())
        assert "nothing deleted" in status
    assert data_files(table) == before
    assert read_records(settings.state_dir) == []


async def test_forcing_under_168_hours_needs_a_reason_and_the_typed_word(
    settings: Settings,
) -> None:
    setup_logging(settings)
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    async with Host(settings).run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        pilot.app.screen.query_one("#retention", Input).value = "0"
        pilot.app.screen.query_one("#maintenance-tables", DataTable).focus()
        await pilot.press("v")
        await _settle(pilot)
        preview = pilot.app.screen
        assert isinstance(preview, VacuumPreviewScreen)
        confirm = preview.query_one("#confirm", Button)
        assert confirm.disabled
        preview.query_one("#reason", Input).value = "purging a bad load"
        preview.query_one("#typed", Input).value = "yes"
        await pilot.pause()
        assert confirm.disabled  # only the exact word unlocks it
        preview.query_one("#typed", Input).value = "FORCE"
        await pilot.pause()
        assert not confirm.disabled
        await pilot.click("#confirm")
        await _settle(pilot)
    assert len(data_files(table)) == 1
    [record] = read_records(settings.state_dir, "vacuum")
    assert record["forced"] and record["reason"] == "purging a bad load"
    assert "reason: purging a bad load" in settings.log_file.read_text()


async def test_m_on_the_console_opens_the_maintenance_view(settings: Settings) -> None:
    from lakeconsole.tui.app import ConsoleApp

    make_table(settings.data_dir / "silver" / "orders")
    app = ConsoleApp(settings, None, pipeline_error="no pipeline in this test")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        await _settle(pilot)
        assert isinstance(app.screen, MaintenanceScreen)
        rows = app.screen.query_one("#maintenance-tables", DataTable)
        assert rows.get_row_at(0)[0] == "silver/orders"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MaintenanceScreen)


async def test_z_optimizes_the_selected_table_and_shows_before_and_after(
    settings: Settings,
) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    from lakeconsole.core.maintenance.optimize import zorder_columns

    table = settings.data_dir / "silver" / "sales_orders"
    named = zorder_columns(table, settings)  # what the pipeline definition names
    assert named, "the sales pipeline names Z-ORDER columns for silver"
    for i in range(3):
        write_deltalake(str(table), pa.table({c: [f"v{i}"] for c in named}), mode="append")
    async with Host(settings).run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("z")
        await _settle(pilot)
        status = str(pilot.app.screen.query_one("#maintenance-status", Static).render())
        assert f"silver/sales_orders: Z-ORDER by {', '.join(named)}: 3 file(s)" in status
        assert "→ 1 file(s)" in status
        rows = pilot.app.screen.query_one("#maintenance-tables", DataTable)
        assert rows.get_row_at(0)[1] == "1"  # the view reloaded with the new file count
