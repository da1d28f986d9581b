"""The console's landing panel and bronze give one answer to "what is a landing file": an entry
bronze skips is shown as skipped, with why, never as ingested (issue 13, item 11)."""

from __future__ import annotations

import dataclasses
import os

from textual.widgets import Static

from lakeconsole.core.dag import Pipeline
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.landing import LandingPanel
from tests.sales_fixtures import HEADER, line
from tests.sales_tables import sales_steps
from tests.test_tui_console import wait_for
from tests.tui_fixtures import fixed_findings, fixed_upkeep


async def test_landing_panel_shows_a_skipped_folder_and_pipe_with_why(settings: Settings) -> None:
    sales = dataclasses.replace(settings, pipeline="lakeconsole.pipelines.sales:pipeline")
    landing = sales.data_dir / "landing"
    (landing / "good.csv").write_text(HEADER + "\n" + line("A1") + "\n")
    (landing / "late").mkdir()
    (landing / "late" / "orders.csv").write_text(HEADER + "\n" + line("L1") + "\n")
    os.mkfifo(landing / "pipe.csv")
    assert run_pipeline(load_pipeline(sales), sales).status == RunStatus.SUCCEEDED

    app = ConsoleApp(sales, Pipeline(sales_steps()), upkeep=fixed_upkeep, findings=fixed_findings)
    async with app.run_test(size=(160, 36)) as pilot:
        panel = app.board.query_one(LandingPanel)
        shown = lambda: str(panel.query_one(Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "late/" in shown(), "the skipped folder")
        assert panel.border_title == "Landing · 0 waiting"
        assert "✓ 1 ingested" in shown()  # good.csv; late/orders.csv was never read
        assert "late/orders.csv" not in shown()
        assert "⊘ late/ skipped: a folder, not a landing file (1 entry inside is not read)" in (
            " ".join(shown().split())
        )
        assert "⊘ pipe.csv skipped: a named pipe (FIFO)" in shown()
