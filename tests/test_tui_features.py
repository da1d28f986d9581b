"""The console's features view (`i` on the tables view): the facts `lakeconsole features`
prints, for a table Databricks wrote, read in a worker and shown with what refuses it."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from textual.pilot import Pilot

from lakeconsole.core.settings import Settings
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.screens.features import TableFeaturesScreen
from tests.screen_walks import layout_lake, open_tables, text_of, until
from tests.test_foreign_tables import FOREIGN
from tests.test_tui_snapshots import console

pytestmark = pytest.mark.skipif(
    not FOREIGN.is_dir(), reason=f"no foreign tables at {FOREIGN} (the shared checkout is absent)"
)
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The snapshot lake, plus a table Databricks wrote (v2 checkpoint, identity columns)."""
    settings = layout_lake(settings)
    shutil.copytree(FOREIGN / "checkpoint-v2-table", settings.data_dir / "silver" / "spark_people")
    return settings


async def open_features(pilot: Pilot[Any], app: ConsoleApp) -> None:
    await open_tables(pilot, app)
    await pilot.press("slash", *"spark", "enter")  # the filter leaves the one table selected
    await until(pilot, lambda: app.screen.query_one("#tables-list").row_count == 1, "filter")
    await pilot.press("i")
    await until(
        pilot,
        lambda: isinstance(app.screen, TableFeaturesScreen) and app.screen.shown,
        "the features of silver/spark_people",
    )


def cells(app: ConsoleApp) -> dict[str, str]:
    assert isinstance(app.screen, TableFeaturesScreen)
    return dict(app.screen.shown)


async def test_features_view_shows_what_the_cli_prints(settings: Settings) -> None:
    from lakeconsole.core.table_features import table_features

    app = console(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_features(pilot, app)
        shown = cells(app)
        expected = table_features(settings.data_dir / "silver" / "spark_people").rows()
        assert shown == dict(expected)  # one home: the CLI prints these same rows
        assert shown["protocol"] == "reader 3, writer 7"
        assert shown["checkpoint"] == "v8 (v2, 1 sidecar(s)), 1 commit(s) since"
        assert shown["delta-rs cannot write"] == "identityColumns"
        status = text_of(app, "#features-status")
        assert "VACUUM, OPTIMIZE and RESTORE refuse this table (identityColumns)" in status
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "TablesScreen", "back")


async def test_features_view_names_an_unreadable_table_in_one_line(settings: Settings) -> None:
    (
        settings.data_dir / "silver" / "spark_people" / "_delta_log" / "00000000000000000009.json"
    ).write_text("{not json")
    app = console(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tables(pilot, app)
        await pilot.press("slash", *"spark", "enter")
        await until(pilot, lambda: app.screen.query_one("#tables-list").row_count == 1, "filter")
        await pilot.press("i")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, TableFeaturesScreen)
                and "loading" not in text_of(app, "#features-status")
            ),
            "the features view's answer",
        )
        status = text_of(app, "#features-status")
        assert "is damaged: commit 9" in status and "\n" not in status


@SIZES
def test_features_view_snapshot(
    settings: Settings, snap_compare: Any, size: tuple[int, int]
) -> None:
    app = console(settings)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: open_features(pilot, app))
