"""The dashboard's vacuum line (issue 13, item 12): a table never vacuumed is said to be never
vacuumed, not counted among the tables "vacuumed within 7 days"."""

from __future__ import annotations

import time

from lakeconsole.core.maintenance.status import vacuum_status
from lakeconsole.core.maintenance.vacuum import plan_tables, vacuum_tables
from lakeconsole.core.settings import Settings
from tests.maintenance_fixtures import DAY, make_table


def _tables(settings: Settings, n: int) -> list:
    return [make_table(settings.data_dir / "silver" / f"t{i}") for i in range(n)]


def test_a_new_lake_says_its_tables_were_never_vacuumed(settings: Settings) -> None:
    _tables(settings, 4)
    [item, _] = vacuum_status(settings, now=time.time())
    assert not item.overdue and item.last_done is None
    assert (
        item.detail == "4 table(s) never vacuumed (each due 7 days after its first commit, OPS-03)"
    )
    assert "vacuumed within" not in item.detail


def test_some_vacuumed_and_some_never_are_told_apart(settings: Settings) -> None:
    first, *_ = _tables(settings, 3)
    now = time.time()
    vacuum_tables(plan_tables([first], settings, now=now), settings, now=now)
    [item, _] = vacuum_status(settings, now=now)
    assert item.detail == (
        "1 table(s) vacuumed within 7 days; 2 never vacuumed "
        "(each due 7 days after its first commit, OPS-03)"
    )


def test_never_vacuumed_tables_past_the_interval_are_overdue_and_named(settings: Settings) -> None:
    _tables(settings, 2)
    [item, _] = vacuum_status(settings, now=time.time() + 8 * DAY)
    assert item.overdue
    assert item.detail == (
        "2 of 2 table(s) overdue (OPS-03: vacuum every 7 days): "
        "silver/t0 (never vacuumed), silver/t1 (never vacuumed)"
    )
