"""A dashboard that uses its space (issue 15): each step card shows the tables its step writes
(version, rows, last commit age), records in → out with the step's own unit, silver's
quarantined rows and, while a step runs, its throughput; the cards take the rows they need and
the log the rest; the maintenance panel shows every line or says how many it shows."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from rich.cells import cell_len
from textual.widgets import Label

from lakeconsole.core.events import Layer, RunStarted, StepFinished
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.run_timeline import timeline
from lakeconsole.core.runs import RunRecord, StepRecord, load_runs
from lakeconsole.core.settings import Settings
from lakeconsole.core.table_facts import TableFacts, table_facts
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.card_text import (
    age,
    count,
    detail_text,
    quarantine_text,
    state_text,
    table_text,
)
from lakeconsole.tui.dag_view import LayerColumn, StepCard
from lakeconsole.tui.run_view import RunView
from lakeconsole.tui.summary import UpkeepPanel
from tests.conftest import Shipped
from tests.test_tui_console import card_text, make_app, run_to_end, wait_for
from tests.tui_fixtures import (
    SYNTHETIC,
    Controls,
    fixed_findings,
    fixed_upkeep,
    synthetic_pipeline,
)

WIDE, SMALL = (120, 40), (80, 24)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


def card_of(app: ConsoleApp, step: str) -> StepCard:
    dag = app.board.dag
    assert dag is not None
    card = dag.card(step)
    assert card is not None
    return card


def table_line(card: StepCard, table: str) -> str:
    label = next(x for x in card.query(".step-table").results(Label) if x.name == table)
    return str(label.render())


# --- the tables a step writes, read from the Delta log --------------------------------------


def test_table_facts_come_from_the_log_and_an_unchanged_table_is_not_read_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "silver" / "orders"
    assert not table_facts(tmp_path, "silver/orders").built  # never written
    write_deltalake(str(path), pa.table({"id": list(range(5))}))
    write_deltalake(str(path), pa.table({"id": list(range(7))}), mode="append")
    facts = table_facts(tmp_path, "silver/orders")
    assert (facts.version, facts.rows) == (1, 12)
    assert facts.last_commit_ms is not None and abs(facts.last_commit_ms / 1000 - time.time()) < 60
    assert table_facts(tmp_path, "silver/orders", facts) is facts  # same commit: not opened
    write_deltalake(str(path), pa.table({"id": [1]}), mode="overwrite")
    again = table_facts(tmp_path, "silver/orders", facts)
    assert (again.version, again.rows) == (2, 1)


def test_a_table_whose_newest_commit_was_emptied_is_damaged_not_zero_rows(tmp_path: Path) -> None:
    """delta-rs reads a 0-byte commit as an empty one: the card said 'v1 · 0 rows' of a table
    whose rows were all there."""
    path = tmp_path / "silver" / "orders"
    write_deltalake(str(path), pa.table({"id": list(range(5))}))
    write_deltalake(str(path), pa.table({"id": list(range(7))}), mode="append")
    (path / "_delta_log" / f"{1:020d}.json").write_bytes(b"")
    facts = table_facts(tmp_path, "silver/orders")
    assert facts.damaged and facts.rows is None
    assert table_text(facts, time.time()).startswith("damaged: commit 1 (_delta_log/")


# --- what a card says, alone --------------------------------------------------------------

NOW = 1_795_000_000.0


def test_a_table_line_keeps_its_words_where_the_card_is_wide_and_its_numbers_where_narrow() -> None:
    facts = TableFacts("silver/sales_orders", 12, 10_200_000, int((NOW - 180) * 1000))
    assert table_text(facts, NOW) == "v12 · 10.2M rows · 3 min ago"  # a card at 120×40
    assert table_text(facts, NOW, width=21) == "v12 · 10.2M rows · 3m"  # at 80×24
    assert table_text(facts, NOW, width=20) == "v12 · 10.2M · 3m"
    two = table_text(facts, NOW, width=34, named=True)
    assert two == "sales_orders v12 · 10.2M rows · 3m"  # a step that writes two tables
    assert table_text(TableFacts("gold/revenue"), NOW) == "not written yet"
    one = TableFacts("gold/revenue", 0, 1, int(NOW * 1000))
    assert table_text(one, NOW) == "v0 · 1 row · just now"
    assert [age(s) for s in (5, 61, 7200, 86400, 3 * 86400)] == [
        "5 s",
        "1 min",
        "2 h",
        "1 day",
        "3 days",
    ]


def test_records_in_and_out_carry_their_units_and_silver_its_quarantined_lines() -> None:
    view = RunView.idle(synthetic_pipeline())
    view.apply(
        RunStarted("r1", 0.0, tuple(view.steps), {n: s.layer for n, s in view.steps.items()})
    )
    silver = view.apply(
        StepFinished(
            "r1", 2.0, "silver_orders", Layer.SILVER, 20_146, 19_911, 1.0, {"quarantined": 81}
        )
    )
    gold = view.apply(
        StepFinished("r1", 3.0, "gold_revenue", Layer.GOLD, 90, 17_900, 1.0, {}, "dates")
    )
    assert silver is not None and gold is not None
    assert detail_text(silver) == "in 20.1k → out 19.9k rows"
    assert detail_text(silver, width=20) == "in 20.1k → out 19.9k"
    assert quarantine_text(silver) == "⚠ 81 quarantined"
    assert detail_text(gold) == "90 dates → 17.9k rows"
    assert quarantine_text(gold) == ""  # gold quarantines nothing: no line for it
    quiet = view.apply(StepFinished("r1", 4.0, "bronze_orders", Layer.BRONZE, 0, 0, 0.1))
    assert quiet is not None and detail_text(quiet) == "nothing new"


def test_a_card_says_a_steps_time_in_the_words_of_the_runs_view() -> None:
    """A short step on a small lake and a long one: the card and `lakeconsole runs` (one home,
    core.run_timeline.seconds) say the same time, not '0.0s' on one and '0.04s' on the other."""
    view = RunView.idle(synthetic_pipeline())
    view.apply(
        RunStarted("r1", 0.0, tuple(view.steps), {n: s.layer for n, s in view.steps.items()})
    )
    for took, said in ((0.042, "0.04s"), (7260.0, "2h01m")):
        step = view.apply(StepFinished("r1", took, "bronze_orders", Layer.BRONZE, 5, 5, took))
        assert step is not None
        assert state_text(step, now=took) == f"succeeded · {said}"
        run = RunRecord("r1", 1, "lakeconsole run", 0.0, "succeeded", took, 5)
        run.steps = [StepRecord("bronze_orders", "bronze", "succeeded", 0.0, took, 5, 5)]
        assert timeline(run, 20, now=took)[0].duration == said  # the runs view's line for it


async def test_after_a_run_each_card_shows_its_tables_units_and_quarantined(
    shipped: Shipped,
) -> None:
    """Any shipped pipeline on its demo files: what the cards say is what the tables hold."""
    shipped.write_demo(rows=500, files=2, seed=3)
    loaded = load_pipeline(shipped.settings)
    app = ConsoleApp(shipped.settings, loaded, upkeep=fixed_upkeep, findings=fixed_findings)
    data = shipped.settings.data_dir
    async with app.run_test(size=WIDE) as pilot:
        await run_to_end(pilot, app)
        last = loaded.order[-1]
        await wait_for(
            pilot,
            lambda: "v" in table_line(card_of(app, last), loaded.steps[last].outputs[0]),
            "the tables read after the run",
        )
        quarantined = 0
        for name, step in loaded.steps.items():
            card = card_of(app, name)
            text = card_text(app, name)
            for table in step.outputs:
                dt = DeltaTable(str(data / table))
                line = table_line(card, table)
                assert f"v{dt.version()} · {count(dt.count())} rows · " in line, (name, line)
                assert re.search(r"(\d+ s ago|just now)$", line), line
                assert cell_len(line) <= card.content_size.width, f"{line!r} is cut"
            said = r"\S+ dates → \S+ rows" if step.layer == Layer.GOLD else r"in \S+ → out \S+ rows"
            assert re.search(said, text), (name, text)
            if step.layer == Layer.SILVER:
                match = re.search(r"(\d+) quarantined", text)
                assert match, (name, text)
                quarantined += int(match.group(1))
        rejected = [
            DeltaTable(str(data / n)).count()
            for n, spec in shipped.declared.specs().items()
            if spec.layer == "quarantine" and "file" not in n and (data / n).is_dir()
        ]
        assert quarantined == sum(rejected) > 0  # the demo files have malformed lines
    # The run record keeps gold's unit: a console started later (or a run from cron) says dates.
    record = load_runs(shipped.settings.state_dir)[0]
    view = RunView.idle(loaded)
    view.load_record(record)
    gold = [s for s in view.steps.values() if s.layer == Layer.GOLD]
    assert gold and all(s.records_in_unit == "dates" for s in gold)


async def test_a_running_step_shows_its_throughput(settings: Settings) -> None:
    gate = threading.Event()
    app = make_app(settings, Controls(gate=gate, report_while_waiting=True))
    async with app.run_test(size=SMALL) as pilot:
        try:
            await pilot.press("r")
            await wait_for(
                pilot, lambda: "/s" in card_text(app, "bronze_orders"), "a rate while it runs"
            )
            detail = str(card_of(app, "bronze_orders").query_one(".step-detail").render())
            assert re.fullmatch(r"6/12( rows)? · [\d.k]+( rows)?/s", detail), detail
        finally:
            gate.set()
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
        assert "/s" not in card_text(app, "bronze_orders")  # done: records in → out instead
        assert "in 12 → out 12 rows" in card_text(app, "bronze_orders")


async def test_cards_take_the_rows_they_need_and_the_log_gets_the_rest(
    settings: Settings,
) -> None:
    app = make_app(settings)
    async with app.run_test(size=WIDE) as pilot:
        await run_to_end(pilot, app)
        card = card_of(app, "silver_orders")
        await wait_for(pilot, lambda: "v0" in table_line(card, "silver/orders"), "its table")
        await pilot.pause(0.1)
        layers = list(app.board.query(LayerColumn))
        needed = [sum(c.outer_size.height for c in x.query(StepCard)) + 2 for x in layers]
        heights = {x.outer_size.height for x in layers}
        assert heights == {max(needed)}, "as tall as the tallest column's cards, all alike"
        log = app.board.log_panel
        assert log.outer_size.height >= 20, "the log gets the rows the cards do not need"


# --- the maintenance panel ---------------------------------------------------------------------


def seven_items(settings: object) -> list[UpkeepItem]:
    now = time.time()
    return [
        UpkeepItem("vacuum", now - 86400, False, "3 tables"),
        UpkeepItem("backup", None, True, "never backed up"),
        UpkeepItem("optimize", now - 3600, False, "2 tables"),
        UpkeepItem("retention", None, True, "bronze keeps 2 h"),
        UpkeepItem("latency", now - 60, False, "4.1 s"),
    ]  # and fixed_findings adds one that is not an upkeep item: 6 lines, 3 to fix


async def test_the_maintenance_panel_shows_every_line_or_says_how_many(
    settings: Settings,
) -> None:
    app = ConsoleApp(settings, None, upkeep=seven_items, findings=fixed_findings)
    async with app.run_test(size=SMALL) as pilot:
        panel = app.board.query_one(UpkeepPanel)
        await wait_for(pilot, lambda: len(panel.lines) == 6, "the upkeep lines")
        await wait_for(pilot, lambda: bool(panel.border_subtitle), "the count")
        to_fix = sum(line.startswith("! ") for line in panel.lines)
        assert to_fix == 3 and panel.border_title == "Maintenance · 3 to fix"
        assert panel.border_subtitle == "4 of 6 shown, scroll"  # 80×24 keeps 4 rows for it
        panel.focus()
        await pilot.press("end")
        await pilot.pause(0.1)
        assert panel.scroll_y == panel.max_scroll_y > 0  # the rest is a scroll away

        await pilot.resize_terminal(*WIDE)
        await wait_for(pilot, lambda: not panel.border_subtitle, "every line shown")
        assert panel.scrollable_content_region.height >= 6


async def test_a_commit_from_elsewhere_and_a_swapped_lake_reach_the_cards(
    settings: Settings, tmp_path: Path
) -> None:
    """No run in this console: a cron run (here, a write by the test) or another lake shows."""
    from lakeconsole.core.runner import run_pipeline

    run_pipeline(synthetic_pipeline(rows=4), settings)
    other = settings.with_data_dir(tmp_path / "other-lake")
    for _ in range(3):
        run_pipeline(synthetic_pipeline(rows=2), other)  # bronze at v2 there, 6 rows
    app = make_app(settings)
    async with app.run_test(size=SMALL) as pilot:
        card = card_of(app, "bronze_orders")
        await wait_for(pilot, lambda: "v0 · 4 rows" in table_line(card, "bronze/orders"), "v0")
        bronze = settings.data_dir / "bronze" / "orders"
        write_deltalake(str(bronze), pa.table({"id": [7, 8]}), mode="append")
        await wait_for(
            pilot, lambda: "v1 · 6 rows" in table_line(card, "bronze/orders"), "the new commit"
        )
        app.repoint(other)
        await wait_for(
            pilot, lambda: "v2 · 6 rows" in table_line(card, "bronze/orders"), "the other lake"
        )
