"""The product mart's gold functions on a small hand-made silver table (a real Delta table)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder, write_deltalake

from lakeconsole.pipelines.events import app_events, daily_active_users, daily_funnel, pipeline

D1, D2, D3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)


class SilverSQL:
    """The least a gold function is given: `sql()` over silver by its stem, `{changed}` filled."""

    run_id = "test-run"

    def __init__(self, silver: DeltaTable, changed: list[date]) -> None:
        self.silver, self.changed = silver, changed

    def sql(self, query: str) -> pa.Table:
        values = ", ".join(f"'{d.isoformat()}'" for d in self.changed)
        result = pa.table(
            QueryBuilder()
            .register("app_events", self.silver)
            .execute(query.replace("{changed}", f"({values})"))
        )
        return result.cast(
            pa.schema(
                pa.field(f.name, pa.string()) if f.type == pa.string_view() else f
                for f in result.schema
            )
        )

    def read(self, *args: Any, **kw: Any) -> pa.Table:
        raise AssertionError("the product mart reads silver through sql()")


def event(
    n: int, user: str, session: str, kind: str, day: date, platform: str = "ios"
) -> dict[str, Any]:
    return {
        "event_id": f"E{n}",
        "user_id": user,
        "session_id": session,
        "event_type": kind,
        "event_ts": datetime(day.year, day.month, day.day, 10, n % 60, tzinfo=UTC),
        "event_date": day,
        "app_version": "4.0.0",
        "platform": platform,
        "properties": "{}",
        "_source_file": "events_0001.jsonl",
        "_source_hash": "h",
        "_source_row": n,
        "_ingested_at": datetime(2024, 3, 4, tzinfo=UTC),
    }


@pytest.fixture
def silver(tmp_path: Path) -> DeltaTable:
    rows = [
        # Day 1: u1 goes all the way (twice over in two sessions), u2 stops at the cart,
        # u3 (android) only opens the app; u4 views an item without an app_open that day.
        event(1, "u1", "s1", "app_open", D1),
        event(2, "u1", "s1", "view_item", D1),
        event(3, "u1", "s1", "add_to_cart", D1),
        event(4, "u1", "s1", "purchase", D1),
        event(5, "u1", "s2", "app_open", D1),
        event(6, "u1", "s2", "purchase", D1),
        event(7, "u2", "s3", "app_open", D1),
        event(8, "u2", "s3", "view_item", D1),
        event(9, "u2", "s3", "add_to_cart", D1),
        event(10, "u3", "s4", "app_open", D1, "android"),
        event(11, "u4", "s5", "view_item", D1),
        # Day 2: searches only, nobody opens the app (a late event's day, say).
        event(12, "u1", "s6", "search", D2, "web"),
        # Day 3: not changed by this run.
        event(13, "u5", "s7", "app_open", D3),
    ]
    path = tmp_path / "silver" / "app_events"
    data = pa.Table.from_pylist(rows, schema=app_events.spec.schema)
    write_deltalake(str(path), data, partition_by=["event_date"])
    return DeltaTable(str(path))


def by_key(table: pa.Table, *key: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in key): r for r in table.to_pylist()}


def test_daily_active_users_counts_distinct_users_and_sessions_per_platform(
    silver: DeltaTable,
) -> None:
    out = daily_active_users(SilverSQL(silver, [D1, D2]), [D1, D2])
    assert out.schema == pipeline.specs()["gold/product/daily_active_users"].schema
    assert by_key(out, "event_date", "platform") == {
        (D1, "ios"): {"event_date": D1, "platform": "ios", "users": 3, "sessions": 4, "events": 10},
        (D1, "android"): {
            "event_date": D1,
            "platform": "android",
            "users": 1,
            "sessions": 1,
            "events": 1,
        },
        (D2, "web"): {"event_date": D2, "platform": "web", "users": 1, "sessions": 1, "events": 1},
    }


def test_the_funnel_counts_users_per_step_and_conversion_from_the_step_before(
    silver: DeltaTable,
) -> None:
    out = daily_funnel(SilverSQL(silver, [D1]), [D1])
    assert out.schema == pipeline.specs()["gold/product/daily_funnel"].schema
    rows = by_key(out, "step")
    assert [(r["step"], r["step_order"], r["users"]) for r in out.to_pylist()] == [
        ("app_open", 1, 3),
        ("view_item", 2, 3),
        ("add_to_cart", 3, 2),
        ("purchase", 4, 1),
    ]
    assert rows[("app_open",)]["conversion_from_previous"] is None
    assert rows[("view_item",)]["conversion_from_previous"] == 1.0
    assert rows[("add_to_cart",)]["conversion_from_previous"] == pytest.approx(2 / 3)
    assert rows[("purchase",)]["conversion_from_previous"] == 0.5


def test_a_day_with_events_but_nobody_in_the_funnel_shows_every_step_at_zero(
    silver: DeltaTable,
) -> None:
    out = daily_funnel(SilverSQL(silver, [D2]), [D2])
    assert [(r["event_date"], r["step"], r["users"]) for r in out.to_pylist()] == [
        (D2, "app_open", 0),
        (D2, "view_item", 0),
        (D2, "add_to_cart", 0),
        (D2, "purchase", 0),
    ]
    # Nobody at the step before: no conversion to speak of, rather than a division by zero.
    assert out.column("conversion_from_previous").null_count == 4


def test_only_the_changed_days_are_computed(silver: DeltaTable) -> None:
    gone = date(2024, 2, 28)  # a day silver no longer has (its only event moved on re-send)
    for compute in (daily_active_users, daily_funnel):
        out = compute(SilverSQL(silver, [D3, gone]), [D3, gone])
        assert set(out.column("event_date").to_pylist()) == {D3}
