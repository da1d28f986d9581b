"""Freshness and alerts in the console: the mart docs view says a stale mart is stale since when
(core.marts.freshness, read in its worker at the console's clock), and the dashboard's
maintenance panel has one line for the alert incidents open now."""

from __future__ import annotations

import time

from lakeconsole.core.alerts.incidents import Incident, save_incidents
from lakeconsole.core.marts.freshness import mart_line
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.screens.marts import MartsScreen
from tests.test_freshness_lake import HOUR, TUESDAY_9AM, local, sales_run_at
from tests.test_tui_console import wait_for
from tests.tui_fixtures import fixed_findings, fixed_upkeep

THURSDAY_9AM = TUESDAY_9AM + 48 * HOUR


def status_of(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#marts-status").render())


async def test_the_marts_view_says_a_stale_mart_is_stale_since_when(settings: Settings) -> None:
    sales_run_at(settings, TUESDAY_9AM)  # Wednesday's 8 AM refresh never came
    app = ConsoleApp(
        settings,
        load_pipeline(settings),
        clock=lambda: THURSDAY_9AM,
        upkeep=fixed_upkeep,
        findings=fixed_findings,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, MartsScreen) and "stale" in status_of(app),
            "the sales mart's freshness",
        )
        wednesday_9am = TUESDAY_9AM + 24 * HOUR  # due at 8, plus the hour of grace
        assert (
            f"stale since {local(wednesday_9am)} (24h00m ago) by its Refresh Rate 'Daily at 8 AM'"
        ) in status_of(app)


def test_a_fresh_mart_says_when_it_is_next_due(settings: Settings) -> None:
    from lakeconsole.core.marts.freshness import mart_freshness

    sales_run_at(settings, TUESDAY_9AM)
    (fresh,) = mart_freshness(settings, now=TUESDAY_9AM + HOUR)
    wednesday_8am = TUESDAY_9AM + 23 * HOUR
    assert mart_line(fresh, TUESDAY_9AM + HOUR) == f"fresh, next due {local(wednesday_8am)}"


def panel_items(text: str) -> list[str]:
    """The panel's items, each one line again: the panel wraps an item's text on its width."""
    items: list[str] = []
    for row in text.splitlines():
        if row.startswith(("! ", "· ")) or not items:
            items.append(row)
        else:
            items[-1] += " " + row.strip()
    return items


async def test_the_dashboard_has_one_line_for_the_open_alert_incidents(settings: Settings) -> None:
    now = time.time()
    save_incidents(
        settings,
        {
            "quality-threshold:silver_orders": Incident(
                "quality-threshold:silver_orders",
                "quality_threshold",
                "silver/sales_orders: qty_not_an_integer above fail_above",
                "...",
                now - 3 * HOUR,
            ),
            "stale-mart:sales": Incident(
                "stale-mart:sales", "stale_mart", "mart sales stale", "...", now - HOUR
            ),
        },
    )
    app = ConsoleApp(settings, load_pipeline(settings), findings=fixed_findings)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.board.query_one(".upkeep-text")
        await wait_for(pilot, lambda: "alerts" in str(panel.render()), "the alerts line")
        (line,) = [x for x in panel_items(str(panel.render())) if "alerts" in x]
        assert line == (
            "! alerts: 3h ago · 2 open (`lakeconsole alerts`): silver/sales_orders: "
            "qty_not_an_integer above fail_above, mart sales stale"
        )
