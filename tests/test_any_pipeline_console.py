"""The console (Pilot) with each shipped pipeline loaded: its steps on the DAG, the landing
panel counting its waiting files, a run from the keyboard finishing green, its tables listed."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static

from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.dag_view import StepCard
from lakeconsole.tui.landing import LandingPanel
from tests.conftest import Shipped
from tests.tui_fixtures import fixed_findings, fixed_upkeep

SIZE = (120, 36)


async def wait_for(pilot: Pilot[int], condition: Callable[[], object], what: str) -> None:
    for _ in range(600):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_the_console_runs_the_pipeline_and_lists_its_tables(shipped: Shipped) -> None:
    written = shipped.write_demo(rows=2000, files=2, seed=23)
    loaded = load_pipeline(shipped.settings)
    app = ConsoleApp(
        shipped.settings, loaded, upkeep=fixed_upkeep, findings=fixed_findings, poll_interval_s=0.2
    )
    async with app.run_test(size=SIZE) as pilot:
        for step in loaded.steps:
            card = app.board.query_one(f"#step-{step}", StepCard)
            assert step in " ".join(str(label.render()) for label in card.query(Label))
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "the landing panel's first look")
        assert panel.border_title == f"Landing · {len(written)} waiting"
        shown = str(panel.query_one(Static).render())
        assert all(f.path.name in shown for f in written)

        await pilot.press("r")
        await wait_for(pilot, lambda: app._run is not None and not app.run_active, "the run ends")
        heartbeat = lambda: str(app.board.query_one("#heartbeat", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "Pipeline Finished" in heartbeat(), "the heartbeat")
        assert heartbeat().startswith("✓ Pipeline Finished: Processed")
        assert {s.state.value for s in app.board.view.steps.values()} == {"succeeded"}
        await wait_for(
            pilot, lambda: panel.border_title == "Landing · 0 waiting", "the files ingested"
        )

        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.query("#tables-list"), "the tables screen")
        table = app.screen.query_one("#tables-list", DataTable)
        await wait_for(pilot, lambda: table.row_count and not table.loading, "the tables")
        name = [str(c.label) for c in table.columns.values()].index("Table")
        names = {str(table.get_row_at(i)[name]) for i in range(table.row_count)}
        assert set(shipped.versions()) <= names
