"""The console follows the lake and the log (issue 15): after a restore in the console every
panel and watcher reads the restored lake; the log panel stays at the live end of app.log
(after `l`,`l`, `l`+Escape, a rotation, a restore); `L` filters it by level."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.pilot import Pilot

from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.runs import load_runs
from lakeconsole.core.settings import Settings
from lakeconsole.core.upkeep import UpkeepItem
from lakeconsole.tui.app import ConsoleApp
from lakeconsole.tui.landing import LandingPanel
from lakeconsole.tui.log_levels import filter_lines, line_level
from lakeconsole.tui.log_panel import LogPanel
from lakeconsole.tui.screens.backup import BackupScreen
from tests.backup_fixtures import settings_with
from tests.test_backup_console import wait_idle
from tests.test_tui_console import card_text, heartbeat_text, make_app, wait_for
from tests.tui_fixtures import SYNTHETIC, fixed_findings, fixed_upkeep, synthetic_pipeline

SIZE = (80, 24)
INFO = "2026-11-26 10:00:00,001 INFO    lakeconsole.runner: step bronze started"
DEBUG = "2026-11-26 10:00:00,002 DEBUG   lakeconsole.blocks: 3 segments"
WARNING = "2026-11-26 10:00:01,003 WARNING lakeconsole.runner: 2 rows quarantined"
ERROR = "2026-11-26 10:00:02,004 ERROR   lakeconsole.runner: step silver failed"
TRACEBACK = ["Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: qty"]
CRITICAL = "2026-11-26 10:00:03,005 CRITICAL lakeconsole: cannot write the lake"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pipeline=SYNTHETIC)


# --- the level filter, alone --------------------------------------------------------------


def test_a_record_line_has_its_level_and_a_continuation_line_none() -> None:
    assert [line_level(x) for x in (DEBUG, INFO, WARNING, ERROR, CRITICAL)] == [
        10,
        20,
        30,
        40,
        50,
    ]
    assert line_level("2026-11-26 10:00:00 INFO    lakeconsole: no milliseconds") == 20
    assert all(line_level(x) is None for x in TRACEBACK)
    assert line_level("INFO at the start is not a record") is None


def test_traceback_lines_stay_with_the_record_they_belong_to() -> None:
    lines = [INFO, DEBUG, "  a debug detail", ERROR, *TRACEBACK, WARNING, CRITICAL]
    assert filter_lines(lines, 0) == (lines, True)
    assert filter_lines(lines, 20)[0] == [INFO, ERROR, *TRACEBACK, WARNING, CRITICAL]
    assert filter_lines(lines, 30)[0] == [ERROR, *TRACEBACK, WARNING, CRITICAL]
    assert filter_lines(lines, 40)[0] == [ERROR, *TRACEBACK, CRITICAL]  # CRITICAL too


def test_a_piece_that_starts_inside_a_record_follows_that_record() -> None:
    shown, keep = filter_lines([INFO, ERROR, TRACEBACK[0]], 40)
    assert (shown, keep) == ([ERROR, TRACEBACK[0]], True)
    assert filter_lines(TRACEBACK[1:], 40, keep) == (TRACEBACK[1:], True)
    _, keep = filter_lines([ERROR, INFO], 40)
    assert filter_lines(TRACEBACK, 40, keep) == ([], False)
    # Whose record the first lines of the file continue is not known: shown only unfiltered.
    assert filter_lines(TRACEBACK, 0)[0] == TRACEBACK
    assert filter_lines(TRACEBACK, 20)[0] == []


# --- the log panel follows the live file ---------------------------------------------------


def at_end(panel: LogPanel) -> bool:
    return panel.max_scroll_y > 0 and panel.scroll_y == panel.max_scroll_y


async def shows_new_line(pilot: Pilot[int], panel: LogPanel, log: Path, text: str) -> None:
    """Append a line to app.log: the panel shows it, scrolled to the end."""
    with log.open("a") as f:
        f.write(f"2026-11-26 10:00:00,000 INFO    lakeconsole.test: {text}\n")
    await wait_for(pilot, lambda: any(text in x for x in panel.lines), f"the line {text!r}")
    await wait_for(pilot, lambda: at_end(panel), f"the panel at the end after {text!r}")


async def test_the_log_panel_follows_after_l_l_l_escape_and_a_rotation(
    settings: Settings,
) -> None:
    log = settings.log_file
    log.write_text("".join(f"old line {i}\n" for i in range(100)))  # more than the panel holds
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: "old line 99" in panel.lines, "the tail")
        await shows_new_line(pilot, panel, log, "at start")

        await pilot.press("l")
        await pilot.pause(0.1)
        await shows_new_line(pilot, panel, log, "while enlarged")
        await pilot.press("l")
        await pilot.pause(0.1)
        assert app.board.maximized is None
        await shows_new_line(pilot, panel, log, "after l, l")

        await pilot.press("l")
        await pilot.pause(0.1)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.board.maximized is None
        await shows_new_line(pilot, panel, log, "after l, escape")

        log.rename(log.with_name("app.log.2026-11-26"))  # the daily rotation (OPS-04)
        log.write_text("".join(f"new day {i}\n" for i in range(50)))
        await wait_for(pilot, lambda: "new day 49" in panel.lines, "the new file")
        assert "old line 99" not in panel.lines
        await shows_new_line(pilot, panel, log, "after the rotation")


async def test_the_log_panel_follows_after_the_terminal_is_enlarged_and_shrunk(
    settings: Settings,
) -> None:
    log = settings.log_file
    log.write_text("".join(f"old line {i}\n" for i in range(100)))
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: "old line 99" in panel.lines, "the tail")
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.1)
        await shows_new_line(pilot, panel, log, "after enlarging")
        await pilot.press("l")  # enlarged on the large terminal too
        await pilot.pause(0.1)
        await shows_new_line(pilot, panel, log, "enlarged at 120x40")
        await pilot.press("l")
        await pilot.resize_terminal(*SIZE)
        await pilot.pause(0.1)
        await shows_new_line(pilot, panel, log, "after shrinking back")


async def test_a_long_log_line_wraps_instead_of_being_cut(settings: Settings) -> None:
    """A warning's end (which table, which rule) is what the user reads it for."""
    tail = "in quarantine/sales_orders_rejected (rule qty_positive)"
    long = f"{WARNING} and {'more words ' * 6}{tail}"
    settings.log_file.write_text(f"{INFO}\n{long}\n{ERROR}\n")
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: ERROR in panel.lines, "the tail")
        rows = [x.rstrip() for x in panel.lines]
        width = panel.scrollable_content_region.width
        assert all(len(row) <= width for row in rows), "a row wider than the panel is cut"
        assert " ".join(r.strip() for r in rows[1:-1]) == long  # every word, in order
        assert rows[2].startswith("  ")  # a continuation, not a record of its own
        await pilot.resize_terminal(*SIZE)  # narrower: wrapped again to the new width
        await wait_for(pilot, lambda: len(panel.lines) > len(rows), "rewrapped")
        assert all(len(x) <= panel.scrollable_content_region.width for x in panel.lines)
        assert panel.lines[-1] == ERROR


async def test_scrolling_up_by_hand_holds_the_view_until_end(settings: Settings) -> None:
    log = settings.log_file
    log.write_text("".join(f"old line {i}\n" for i in range(100)))
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: "old line 99" in panel.lines, "the tail")
        await pilot.press("l")
        await pilot.pause(0.1)
        await pilot.press("home")
        await pilot.pause(0.1)
        with log.open("a") as f:
            f.write("read while scrolled up\n")
        await wait_for(pilot, lambda: "read while scrolled up" in panel.lines, "the line")
        assert panel.scroll_y == 0  # what the user scrolled to stays put
        await pilot.press("end")
        await shows_new_line(pilot, panel, log, "after End")


async def test_l_capital_filters_the_log_panel_by_level(settings: Settings) -> None:
    log = settings.log_file
    log.write_text("\n".join([INFO, DEBUG, *(f"  detail {i}" for i in range(40)), ERROR]) + "\n")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.log_panel
        await wait_for(pilot, lambda: ERROR in panel.lines, "the tail")
        assert panel.border_title == "app.log"

        await pilot.press("L")
        assert panel.border_title == "app.log · INFO+"
        assert DEBUG not in panel.lines and "  detail 3" not in panel.lines
        assert INFO in panel.lines and ERROR in panel.lines
        await pilot.press("L")
        assert panel.border_title == "app.log · WARNING+"
        with log.open("a") as f:
            f.write("\n".join([INFO, WARNING, ERROR, *TRACEBACK]) + "\n")
        await wait_for(pilot, lambda: TRACEBACK[-1] in panel.lines, "new lines")
        assert INFO not in panel.lines
        assert panel.lines[-5:] == [WARNING, ERROR, *TRACEBACK]

        await pilot.press("L")
        assert panel.border_title == "app.log · ERROR"
        assert WARNING not in panel.lines and panel.lines[-4:] == [ERROR, *TRACEBACK]
        await pilot.press("L")
        assert panel.border_title == "app.log"  # all again, nothing lost
        assert DEBUG in panel.lines and "  detail 39" in panel.lines and WARNING in panel.lines


# --- a restore in the console ---------------------------------------------------------------


async def test_after_a_restore_every_panel_and_watcher_reads_the_restored_lake(
    env: dict[str, str], tmp_path: Path
) -> None:
    from lakeconsole.core.backup import run_backup

    settings = settings_with(env, BACKUP_TARGET=str(tmp_path / "usb"))
    settings = dataclasses.replace(settings, pipeline=SYNTHETIC)
    # The lake as backed up: one run of 5 rows. The console then adds a run of 12.
    run_pipeline(synthetic_pipeline(rows=5), settings)
    run_backup(settings)
    log = settings.log_file
    log.write_text("".join(f"old line {i}\n" for i in range(100)))
    landing = settings.data_dir / "landing"
    upkeep_reads: list[Path] = []

    def upkeep(s: Settings) -> list[UpkeepItem]:
        upkeep_reads.append(s.data_dir)
        return fixed_upkeep(s)

    app = ConsoleApp(settings, synthetic_pipeline(), upkeep=upkeep, findings=fixed_findings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Processed 5" in heartbeat_text(app), "the backed-up run")
        await pilot.press("r")
        await wait_for(pilot, lambda: "Processed 12" in heartbeat_text(app), "the console's run")
        assert "in 17 → out 17" in card_text(app, "silver_orders")  # 5 + 12 bronze rows

        await wait_for(pilot, lambda: len(upkeep_reads) >= 2, "upkeep read after the run")
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        await wait_idle(pilot, screen)
        reads = len(upkeep_reads)
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await wait_idle(pilot, screen)
        assert "✓ restored" in str(screen.query_one("#backup-status").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.board
        await wait_for(pilot, lambda: len(upkeep_reads) > reads, "the maintenance panel re-read")

        # Counts: the restored lake's last run, and no card keeps the old lake's run.
        await wait_for(pilot, lambda: "Processed 5" in heartbeat_text(app), "restored history")
        assert "in 17" not in card_text(app, "silver_orders")
        assert "idle" in card_text(app, "silver_orders")
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "the landing's first look")
        await shows_new_line(pilot, app.board.log_panel, log, "after the restore")

        await pilot.press("a")
        landing.mkdir(exist_ok=True)  # the snapshot had none: whoever drops files makes it
        (landing / "orders_after_restore.csv").write_text("order_id,qty\n1,2\n")
        await wait_for(
            pilot, lambda: panel.border_title == "Landing · 1 waiting", "the new file waiting"
        )
        await wait_for(pilot, lambda: len(load_runs(settings.state_dir)) == 2, "auto-run")
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
        await wait_for(pilot, lambda: "Processed 12" in heartbeat_text(app), "its heartbeat")
    # The auto-run wrote into the restored lake: its 5 bronze rows and 12 new ones (the old
    # lake had 17 before it).
    from tests.tui_fixtures import table_rows

    assert table_rows(settings.data_dir / "bronze/orders") == 17


async def test_a_changed_data_dir_re_points_the_landing_watcher_and_the_history(
    settings: Settings, tmp_path: Path
) -> None:
    other = settings.with_data_dir(tmp_path / "other-lake")
    run_pipeline(synthetic_pipeline(rows=3), other)  # its own history: one run of 3 rows
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.board.query_one(LandingPanel)
        await wait_for(pilot, lambda: panel._seen is not None, "the first look")
        await wait_for(pilot, lambda: "No runs yet" in heartbeat_text(app), "no history")

        app.repoint(other)
        await wait_for(pilot, lambda: "Processed 3" in heartbeat_text(app), "the other history")
        await wait_for(pilot, lambda: panel._seen is not None, "the other lake's first look")
        (settings.data_dir / "landing" / "left_behind.csv").write_text("order_id\n1\n")
        (other.data_dir / "landing" / "orders.csv").write_text("order_id\n1\n")
        await wait_for(pilot, lambda: panel.border_title == "Landing · 1 waiting", "its file")
        assert [str(p) for p, _ in panel.files] == ["orders.csv"]
        await pilot.press("r")
        await wait_for(pilot, lambda: len(load_runs(other.state_dir)) == 2, "a run there")
        await wait_for(pilot, lambda: not app.run_active, "the run ends")
    assert load_runs(settings.state_dir) == []
