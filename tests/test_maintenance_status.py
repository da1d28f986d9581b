"""Overdue tracking, the ledger, and the upkeep items the dashboard and `check` read."""

from __future__ import annotations

import time

from deltalake import DeltaTable

from lakeconsole.core.maintenance.ledger import append_record, ledger_path, read_records
from lakeconsole.core.maintenance.status import table_upkeep, vacuum_status
from lakeconsole.core.maintenance.vacuum import plan_tables, vacuum_tables
from lakeconsole.core.settings import Settings
from lakeconsole.core.upkeep import upkeep_status
from tests.maintenance_fixtures import DAY, make_table


def test_a_table_is_overdue_seven_days_after_its_last_vacuum(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    t0 = time.time()
    vacuum_tables(plan_tables([table], settings, now=t0), settings, now=t0)
    [fresh] = table_upkeep(settings, now=t0 + 6 * DAY)
    assert fresh.last_vacuum == t0 and not fresh.overdue
    [late] = table_upkeep(settings, now=t0 + 7 * DAY + 60)
    assert late.overdue
    [item, _] = vacuum_status(settings, now=t0 + 8 * DAY)
    assert item.overdue and "silver/orders" in item.detail and "7 days" in item.detail


def test_a_never_vacuumed_table_is_due_one_interval_after_creation(settings: Settings) -> None:
    make_table(settings.data_dir / "silver" / "orders")
    now = time.time()
    [new] = table_upkeep(settings, now=now)
    assert new.last_vacuum is None and not new.overdue
    [old] = table_upkeep(settings, now=now + 8 * DAY)
    assert old.overdue


def test_short_retention_property_shows_in_upkeep(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    DeltaTable(str(table)).alter.set_table_properties(
        {"delta.deletedFileRetentionDuration": "interval 2 days"}
    )
    items = {i.name: i for i in upkeep_status(settings)}
    assert items["retention"].overdue
    assert "silver/orders (48 h)" in items["retention"].detail
    assert not items["vacuum"].overdue


def test_ledger_skips_a_torn_last_line(settings: Settings) -> None:
    append_record(settings.state_dir, {"action": "vacuum", "table": "a", "at": 1})
    with ledger_path(settings.state_dir).open("a") as f:
        f.write('{"action": "vacuum", "tab')  # a crash mid-append
    assert read_records(settings.state_dir) == [{"action": "vacuum", "table": "a", "at": 1}]
