"""The console (Pilot) on a lake under s3://bucket/prefix (moto's server on 127.0.0.1): it opens
on the bucket and lists its tables with their rows, `r` runs the shipped pipeline there under
the lease and the cards go green, a landing file put in the bucket shows as waiting at the next
listing and auto-run takes it, and a table's history opens from the bucket's log."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static

from lakeconsole.core.dag import Pipeline
from lakeconsole.core.lock import lake_lock
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.core.storage import S3Location, open_delta, table_exists
from lakeconsole.pipelines.sales.demo import write_demo
from lakeconsole.tui import app as console_app
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.messages import LandingFiles
from lakeconsole.tui.summary import UpkeepPanel
from tests.backup_fixtures import CliRunner, s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.sales_tables import TABLES
from tests.test_tui_console import card_text
from tests.test_tui_console import wait_for as wait_console
from tests.tui_fixtures import fixed_findings, fixed_upkeep

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name

SIZE = (120, 40)


@pytest.fixture
def on_s3(env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str) -> Settings:
    """Settings of an S3 lake whose landing prefix holds two small demo files; the bucket's
    landing prefix is listed every second (LANDING_POLL_SECONDS) so a test need not wait 30."""
    (home / ".env").write_text("SILVER_BATCH_ROWS=1000\nLANDING_POLL_SECONDS=1\n")
    write_demo(home / "staged", rows=600, files=2, seed=5)
    upload(home / "staged", s3_location(s3_url, s3_server) / "landing")
    return load_settings({**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url})


def lake(settings: Settings) -> S3Location:
    where = settings.lake_root
    assert isinstance(where, S3Location)
    return where


def console(settings: Settings, pipeline: Pipeline | None = None) -> ConsoleApp:
    return ConsoleApp(
        settings,
        pipeline or load_pipeline(settings),
        upkeep=fixed_upkeep,
        findings=fixed_findings,
        poll_interval_s=0.2,
    )


def ran_before(settings: Settings) -> dict[str, int]:
    """Run the pipeline on the bucket outside the console; each table's live rows after."""
    outcome = run_pipeline(load_pipeline(settings), settings, lambda _: None)
    assert outcome.status.value == "succeeded", outcome
    return live_rows(settings)


def live_rows(settings: Settings) -> dict[str, int]:
    return {
        name: open_delta(spec.path(lake(settings))).count()
        for name, spec in TABLES.items()
        if table_exists(spec.path(lake(settings)))
    }


async def wait_for(pilot: Pilot[int], condition: Callable[[], object], what: str) -> None:
    """tests.test_tui_console's wait, with the longer limit a bucket's reads need."""
    await wait_console(pilot, condition, what, seconds=45.0)


def heartbeat(app: ConsoleApp) -> str:
    return str(app.board.query_one("#heartbeat", Static).render())


def column(table: DataTable[object], name: str) -> list[str]:
    at = [str(c.label) for c in table.columns.values()].index(name)
    return [str(table.get_row_at(i)[at]) for i in range(table.row_count)]


async def open_tables(pilot: Pilot[int], app: ConsoleApp) -> DataTable[object]:
    await pilot.press("t")
    await wait_for(pilot, lambda: app.screen.query("#tables-list"), "the tables screen")
    table: DataTable[object] = app.screen.query_one("#tables-list", DataTable)
    await wait_for(pilot, lambda: table.row_count and not table.loading, "the tables listed")
    return table


async def test_the_console_opens_on_an_s3_lake_and_lists_its_tables_with_their_rows(
    on_s3: Settings,
) -> None:
    rows = ran_before(on_s3)
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        # The step cards read the bucket's logs: the orders table's rows on bronze's card.
        bronze = f"{rows['bronze/sales_orders_raw']:,} rows"
        await wait_for(
            pilot, lambda: bronze in card_text(app, "bronze_ingest"), "bronze's table rows"
        )
        await wait_for(pilot, lambda: "✓ Pipeline Finished" in heartbeat(app), "the heartbeat")
        log = app.board.query_one(LogPanel)
        assert log.border_title == "app.log (on this machine)"

        table = await open_tables(pilot, app)
        shown = dict(zip(column(table, "Table"), column(table, "Rows"), strict=True))
        assert {name: shown.get(name) for name in rows} == {
            name: f"{n:,}" for name, n in rows.items()
        }


async def test_r_runs_the_pipeline_on_the_bucket_and_the_cards_go_green(on_s3: Settings) -> None:
    loaded = load_pipeline(on_s3)
    app = console(on_s3, loaded)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "the landing prefix listed")
        assert panel.border_title == "Landing · 2 waiting"

        await pilot.press("r")
        await wait_for(pilot, lambda: app._run is not None and not app.run_active, "the run ends")
        await wait_for(pilot, lambda: "Pipeline Finished" in heartbeat(app), "the heartbeat")
        assert heartbeat(app).startswith("✓ Pipeline Finished: Processed")
        assert {s.state.value for s in app.board.view.steps.values()} == {"succeeded"}
        assert all("✓" in card_text(app, step) for step in loaded.steps)
        await wait_for(pilot, lambda: panel.border_title == "Landing · 0 waiting", "ingested")
        # The run went to the bucket, and its lease is given back.
        rows = live_rows(on_s3)
        assert rows["bronze/sales_orders_raw"] > 0 and rows["gold/sales/daily_revenue"] > 0
        assert not (lake(on_s3) / "_lakeconsole" / "lease.json").exists()
        orders = f"{rows['bronze/sales_orders_raw']:,} rows"
        await wait_for(
            pilot, lambda: orders in card_text(app, "bronze_ingest"), "the card's new rows"
        )


async def test_a_file_put_in_the_landing_prefix_waits_and_auto_run_takes_it(
    on_s3: Settings, home: Path
) -> None:
    before = ran_before(on_s3)
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel.border_title == "Landing · 0 waiting", "first list")
        write_demo(home / "later", rows=300, files=1, seed=5, prefix="later", after=600)
        (arrived,) = sorted((home / "later").iterdir())
        upload(home / "later", lake(on_s3) / "landing")

        # Auto-run off: the next listing shows it waiting, and nothing runs.
        await wait_for(pilot, lambda: panel.border_title == "Landing · 1 waiting", "it waits")
        shown = str(panel.query_one("#landing-files", Static).render())
        assert arrived.name in shown and shown.endswith("↻ listed every 1 s")
        assert app._run is None

        await pilot.press("a")  # auto-run on: it takes what lands from now on
        write_demo(home / "last", rows=300, files=1, seed=5, prefix="last", after=900)
        upload(home / "last", lake(on_s3) / "landing")
        await wait_for(pilot, lambda: app._run is not None, "auto-run starts a run")
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
        await wait_for(pilot, lambda: panel.border_title == "Landing · 0 waiting", "ingested")
        assert live_rows(on_s3)["bronze/sales_orders_raw"] > before["bronze/sales_orders_raw"]


async def test_the_history_of_a_table_on_the_bucket_opens(on_s3: Settings) -> None:
    ran_before(on_s3)
    ran_before(on_s3)  # a second run over the same files commits nothing new
    versions = open_delta(TABLES["silver/sales_orders"].path(lake(on_s3))).history()
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tables(pilot, app)
        table.move_cursor(row=column(table, "Table").index("silver/sales_orders"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#history-list"), "the history screen")
        history: DataTable[object] = app.screen.query_one("#history-list", DataTable)
        await wait_for(pilot, lambda: history.row_count, "the commits listed")
        assert column(history, "Version") == [str(h["version"]) for h in versions]


def test_the_console_on_an_empty_prefix_or_a_missing_bucket_is_one_line_and_exit_2(
    cli: CliRunner, env: dict[str, str], s3_server: dict[str, str], s3_url: str, home: Path
) -> None:
    reach = {**env, **s3_env(s3_server)}
    empty = cli([], env={**reach, "LAKECONSOLE_DATA_DIR": s3_url})
    assert empty.returncode == 2
    assert empty.stderr.strip() == (
        f"no lake at {s3_url} (nothing under that prefix: check LAKECONSOLE_DATA_DIR or --data-dir)"
    )
    missing = cli([], env={**reach, "LAKECONSOLE_DATA_DIR": "s3://no-such-bucket/lake"})
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("bucket 'no-such-bucket' does not exist at ")
    assert not s3_location(s3_url, s3_server).exists()
    assert not list(home.rglob("s3*")), "a local folder named after the URL was written"


async def test_a_vacuum_or_optimize_holding_the_lease_shows_and_its_end_clears_the_status(
    on_s3: Settings,
) -> None:
    ran_before(on_s3)
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        status = lambda: str(app.board.query_one("#run-status", Label).render())  # noqa: E731
        with lake_lock(on_s3, "lakeconsole optimize"):
            await wait_for(pilot, lambda: "run by lakeconsole optimize" in status(), "shown")
            assert "run by lakeconsole optimize" in status()
        # It left no run record (not a run): the line must not stay on the screen.
        await wait_for(pilot, lambda: "run by" not in status(), "the status after its end")
        assert status() == "lakeconsole optimize ended"


async def test_quality_and_mart_docs_open_on_a_bucket_lake_with_what_its_runs_wrote(
    on_s3: Settings,
) -> None:
    """They said "not yet on object storage" while core read only local files; a run on the
    bucket records its quality lines there and writes the mart README into the project."""
    from lakeconsole.tui.screens.marts import MartsScreen
    from lakeconsole.tui.screens.quality import QualityScreen

    ran_before(on_s3)
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, QualityScreen), "the quality view")
        rules: DataTable[object] = app.screen.query_one("#quality-rules", DataTable)
        await wait_for(pilot, lambda: rules.row_count, "the rules of the bucket's runs")
        assert "order_id_missing" in column(rules, "Rule")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.board, "back on the dashboard")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, MartsScreen), "the mart docs")
        marts: DataTable[object] = app.screen.query_one("#marts-list", DataTable)
        await wait_for(pilot, lambda: marts.row_count, "the marts listed")
        assert "sales" in [str(marts.get_row_at(i)[0]) for i in range(marts.row_count)]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.board, "back on the dashboard")
        await wait_for(pilot, lambda: upkeep_text(app), "the maintenance lines")
        assert "not yet on" not in upkeep_text(app) and "/dev/null" not in upkeep_text(app)


def upkeep_text(app: ConsoleApp) -> str:
    """The maintenance panel's lines, unwrapped."""
    return "\n".join(app.board.query_one(UpkeepPanel).lines)


async def test_enter_on_a_gold_row_traces_it_to_the_landing_lines_in_the_bucket(
    on_s3: Settings,
) -> None:
    from lakeconsole.tui.screens.trace import TraceScreen

    ran_before(on_s3)
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tables(pilot, app)
        table.move_cursor(row=column(table, "Table").index("gold/sales/daily_revenue"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#history-list"), "the history screen")
        history: DataTable[object] = app.screen.query_one("#history-list", DataTable)
        await wait_for(pilot, lambda: history.row_count, "the commits listed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#version-rows"), "the version screen")
        rows: DataTable[object] = app.screen.query_one("#version-rows", DataTable)
        await wait_for(pilot, lambda: rows.row_count, "the rows")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TraceScreen) and app.screen.found is not None,
            "the trace",
        )
        silver: DataTable[object] = app.screen.query_one("#trace-rows", DataTable)
        await wait_for(pilot, lambda: silver.row_count, "the silver rows behind it")
        lines = [str(silver.get_row_at(i)[0]) for i in range(silver.row_count)]
        assert all(".csv:" in line for line in lines), lines  # each with its landing line


async def test_a_slow_bucket_gets_one_lease_read_at_a_time_not_one_more_each_second(
    on_s3: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of the lease that outlasts the poll interval (a slow endpoint) is not joined by
    another thread at every tick: they filled the thread pool, and the panels' reads waited."""
    going, most, release = [0], [0], threading.Event()

    def slow_holder(state: object) -> None:
        going[0] += 1
        most[0] = max(most[0], going[0])
        release.wait(5)
        going[0] -= 1

    monkeypatch.setattr(console_app, "holder_now", slow_holder)
    app = ConsoleApp(on_s3, None, upkeep=fixed_upkeep, findings=fixed_findings, poll_interval_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: going[0] == 1, "the first lease read")
        await pilot.pause(1.0)  # ten ticks
        assert most[0] == 1
        release.set()


async def test_a_bucket_that_stops_answering_is_said_in_the_landing_panel_not_the_old_count(
    on_s3: Settings,
) -> None:
    app = console(on_s3)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel.border_title == "Landing · 2 waiting", "first list")
        why = "cannot reach http://127.0.0.1:1 for bucket 'lake-backup': check AWS_ENDPOINT_URL"
        panel.show_listing(LandingFiles([], error=why))
        assert panel.border_title == "Landing · cannot list"
        assert str(panel.query_one("#landing-files", Static).render()).endswith(why)
