"""The quality view through Pilot: `e` opens it from the dashboard; per table and rule the last
run's rejected share, the trend, the thresholds and a chart; Enter on a rule pages through its
quarantined lines with the landing file and row each came from. Snapshots at 80×24 and 120×40.

Regenerate the snapshots after an intended change:
.venv/bin/pytest tests/test_tui_quality.py --snapshot-update"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from lakeconsole.core.quality import QualityRecord, Threshold, record_quality
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.screens.quality import QualityScreen, QuarantinedLinesScreen
from tests.test_tui_console import wait_for
from tests.test_tui_keys import help_matches_footer
from tests.test_tui_runs_screen import footer_is_whole
from tests.tui_fixtures import (
    FIXED_NOW,
    SYNTHETIC,
    fixed_clock,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

QUARANTINE = "quarantine/orders_rejected"
TABLE = "silver/orders"
HOUR = 3600.0
BAD_QTY = 45  # lines of rule qty_invalid in quarantine


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


def seed_quality(settings: Settings) -> None:
    """Six runs of silver/orders, one an hour: qty_invalid rises to 30% and fails its threshold
    in the last; a real quarantine table holds its lines with their lineage."""
    limits = {"qty_invalid": Threshold(0.01, 0.10), "id_missing": Threshold(0.01, None)}
    qty = [2, 1, 3, 2, 4, 45]
    ids = [1, 0, 2, 1, 0, 2]
    for n, (q, i) in enumerate(zip(qty, ids, strict=True)):
        breached = {"qty_invalid": "fail", "id_missing": "warn"} if n == 5 else {}
        record_quality(
            settings,
            QualityRecord(
                f"run-{n}",
                FIXED_NOW - (6 - n) * HOUR,
                TABLE,
                QUARANTINE,
                150 if n == 5 else 200,
                {"qty_invalid": q, "id_missing": i},
                n == 5,
                "silver_orders",
                limits,
                breached,
            ),
        )
    lines = pa.table(
        {
            "_source_file": [f"orders_{k // 20:04d}.csv" for k in range(BAD_QTY)],
            "_source_row": pa.array([k + 1 for k in range(BAD_QTY)], pa.int64()),
            "rule": ["qty_invalid"] * BAD_QTY,
            "detail": [f"qty 'x{k}' is not a whole number" for k in range(BAD_QTY)],
            "_ingested_at": pa.array(
                [int((FIXED_NOW - HOUR) * 1_000_000)] * BAD_QTY, pa.timestamp("us", tz="UTC")
            ),
            "_run_id": ["20261118T100620-000000Z-4242"] * BAD_QTY,
        }
    )
    write_deltalake(str(settings.data_dir / QUARANTINE), lines)


def console(settings: Settings) -> ConsoleApp:
    seed_quality(settings)
    return ConsoleApp(
        settings,
        synthetic_pipeline(),
        clock=fixed_clock,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )


def cells(app: ConsoleApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(app: ConsoleApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_quality(pilot: Pilot[int], app: ConsoleApp) -> None:
    await pilot.press("e")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, QualityScreen) and bool(cells(app, "#quality-rules")),
        "the quality view listing rules",
    )


async def open_lines(pilot: Pilot[int], app: ConsoleApp) -> None:
    await open_quality(pilot, app)
    await pilot.press("down", "enter")  # the second rule: qty_invalid, the one that failed
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, QuarantinedLinesScreen)
            and "lines 1-" in text_of(app, "#lines-status")
        ),
        "the rule's lines",
    )


async def test_e_opens_the_rules_with_last_share_trend_thresholds_and_a_chart(
    settings: Settings, utc: None
) -> None:
    app = console(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_quality(pilot, app)
        rows = cells(app, "#quality-rules")
        # One table: named in the title, not in a column of its own.
        assert str(app.screen.query_one("#quality-title").render()).startswith(
            "Data quality of silver/orders: lines rejected per rule"
        )
        assert [r[:2] for r in rows] == [
            ["id_missing", "1.33% (2)"],
            ["qty_invalid", "30.00% (45)"],
        ]
        qty = rows[1]
        assert qty[3] == "warn > 1% · fail > 10%" and qty[4] == "FAIL rising"
        await pilot.press("down")
        await pilot.pause()
        assert text_of(app, "#quality-caption") == (
            "qty_invalid · last of 6 run(s): 30.00% (45 of 150) · warn > 1% · fail > 10%"
        )
        chart = text_of(app, "#quality-chart").splitlines()
        assert chart[0].startswith("30%┤")
        (limit,) = [line for line in chart if line.startswith("10%┤")]  # the fail threshold
        assert "⠉⠉⠉" in limit
        assert "05:06" in chart[-1]  # the oldest run's time under its column


async def test_enter_pages_through_a_rules_quarantined_lines_with_their_lineage(
    settings: Settings, utc: None
) -> None:
    app = console(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_quality(pilot, app)
        await pilot.press("down", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, QuarantinedLinesScreen)
                and "lines 1-20 of 45" in text_of(app, "#lines-status")
            ),
            "the first page",
        )
        table = app.screen.query_one("#quality-lines", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        # The ingest time is the first to go where all five do not fit (here: 120 columns).
        assert headers == ["_source_file", "_source_row", "detail", "_run_id"]
        first = cells(app, "#quality-lines")[0]
        assert first[:3] == ["orders_0000.csv", "1", "qty 'x0' is not a whole number"]
        await pilot.press("greater_than_sign")
        await wait_for(
            pilot, lambda: "lines 21-40 of 45" in text_of(app, "#lines-status"), "page 2"
        )
        await pilot.press("greater_than_sign")
        await wait_for(
            pilot, lambda: "lines 41-45 of 45" in text_of(app, "#lines-status"), "page 3"
        )
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert "this is the last page" in text_of(app, "#lines-status")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, QualityScreen), "back to rules")


async def test_a_run_that_ends_while_the_view_is_open_shows(settings: Settings, utc: None) -> None:
    app = console(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_quality(pilot, app)
        record_quality(
            settings,
            QualityRecord("run-6", FIXED_NOW, TABLE, QUARANTINE, 300, {"price_invalid": 3}),
        )
        await wait_for(
            pilot,
            lambda: "price_invalid" in [r[0] for r in cells(app, "#quality-rules")],
            "the new run's rule",
        )


async def test_two_tables_at_80_columns_keep_rule_share_and_state_in_view(
    settings: Settings, utc: None
) -> None:
    app = console(settings)
    record_quality(
        settings,
        QualityRecord(
            "run-7",
            FIXED_NOW,
            "silver/app_events_by_session",
            "quarantine/app_events_by_session_rejected",
            400,
            {"event_ts_unparseable_upstream": 80},
            True,
            "silver_events",
            {"event_ts_unparseable_upstream": Threshold(0.01, 0.10)},
            {"event_ts_unparseable_upstream": "fail"},
        ),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await open_quality(pilot, app)
        table = app.screen.query_one("#quality-rules", DataTable)
        assert table.virtual_size.width <= table.size.width  # nothing a sideways scroll away
        headers = [str(c.label) for c in table.columns.values()]
        assert headers[0] == "Table" and "Last run" in headers
        events = [r for r in cells(app, "#quality-rules") if r[0].startswith("silver/app")]
        (row,) = events
        assert "20.00% (80)" in row and row[-1].startswith("FAIL")


async def test_the_lines_fit_80_columns_with_file_row_and_detail(
    settings: Settings, utc: None
) -> None:
    app = console(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lines(pilot, app)
        table = app.screen.query_one("#quality-lines", DataTable)
        assert table.virtual_size.width <= table.size.width
        headers = [str(c.label) for c in table.columns.values()]
        assert headers[:3] == ["_source_file", "_source_row", "detail"]
        assert cells(app, "#quality-lines")[0][:3] == [
            "orders_0000.csv",
            "1",
            "qty 'x0' is not a whole number",
        ]


async def test_without_records_the_view_says_how_they_come(settings: Settings) -> None:
    app = ConsoleApp(settings, synthetic_pipeline(), upkeep=fixed_upkeep, findings=fixed_findings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, QualityScreen)
                and "No quality records yet" in text_of(app, "#quality-status")
            ),
            "the empty view",
        )
        assert "press r on the dashboard" in text_of(app, "#quality-status")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_quality_views_are_whole_and_help_lists_their_footer(
    settings: Settings, size: tuple[int, int], utc: None
) -> None:
    app = console(settings)
    async with app.run_test(size=size) as pilot:
        await open_quality(pilot, app)
        assert footer_is_whole(app)
        text = await help_matches_footer(pilot, app)
        assert "The rule's quarantined lines, with lineage" in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QuarantinedLinesScreen), "lines")
        await pilot.pause()
        assert footer_is_whole(app)
        assert "Next page of lines" in await help_matches_footer(pilot, app)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_quality_view_snapshot(
    settings: Settings, snap_compare: Any, size: tuple[int, int], utc: None
) -> None:
    app = console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_quality(pilot, app)
        await pilot.press("down")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=opened)


def test_quarantined_lines_snapshot(settings: Settings, snap_compare: Any, utc: None) -> None:
    app = console(settings)

    async def opened(pilot: Pilot[int]) -> None:
        await open_quality(pilot, app)
        await pilot.press("down", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, QuarantinedLinesScreen)
                and "lines 1-" in text_of(app, "#lines-status")
            ),
            "the rule's lines",
        )
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
