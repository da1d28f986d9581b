"""OPS-04: app.log rotates daily and keeps 14 days; secrets never reach it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from lakeconsole.core.applog import daily_handler, setup_logging
from lakeconsole.core.settings import load_settings

DAY = 86_400.0


def test_log_rotates_at_midnight_and_keeps_14_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler dates its first rollover from the file's mtime (now), so the fake clock starts now.
    start = time.time()
    now = [start]
    monkeypatch.setattr(time, "time", lambda: now[0])
    path = tmp_path / "app.log"
    handler = daily_handler(path, keep_days=14)
    logger = logging.getLogger("test.rotation")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for day in range(20):
            logger.info("day %d", day)
            now[0] += DAY
        logger.info("day 20")
    finally:
        logger.removeHandler(handler)
        handler.close()
    rotated = sorted(p.name for p in tmp_path.glob("app.log.*"))
    assert len(rotated) == 14

    # One file per day: the newest rotated is yesterday's, the oldest 14 days back; older ones are gone.
    def day(n: int) -> str:
        return "app.log." + time.strftime("%Y-%m-%d", time.localtime(start + n * DAY))

    assert rotated == sorted(day(n) for n in range(6, 20))
    assert path.read_text().strip().endswith("day 20")
    assert "day 19" in (tmp_path / day(19)).read_text()


def test_secret_values_never_appear_in_the_log(tmp_path: Path, env: dict[str, str]) -> None:
    s = load_settings(
        {**env, "AWS_SECRET_ACCESS_KEY": "s3cr3t-v4lue", "LAKECONSOLE_LOG_DIR": str(tmp_path)}
    )
    logger = setup_logging(s)
    logging.getLogger("lakeconsole.backup").error("aws failed with key %s", "s3cr3t-v4lue")
    for h in logger.handlers:
        h.flush()
    text = (tmp_path / "app.log").read_text()
    assert "aws failed with key ***" in text and "s3cr3t" not in text


def test_the_consoles_first_lines_reach_app_log_in_order_once_it_is_opened(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from lakeconsole.core.applog import attach_log_file

    s = load_settings(
        {**env, "AWS_SECRET_ACCESS_KEY": "s3cr3t-v4lue", "LAKECONSOLE_LOG_DIR": str(tmp_path)}
    )
    setup_logging(s, later=True)  # the console: app.log opens after the first frame
    log = logging.getLogger("lakeconsole.console")
    log.info("first line")
    log.warning("second line with %s", "s3cr3t-v4lue")
    assert not (tmp_path / "app.log").exists()

    attach_log_file(s)
    log.info("third line")
    for h in logging.getLogger("lakeconsole").handlers:
        h.flush()

    text = (tmp_path / "app.log").read_text()
    assert text.index("first line") < text.index("second line with ***") < text.index("third line")
    assert "s3cr3t" not in text


def test_a_command_opens_app_log_with_its_first_line(tmp_path: Path, env: dict[str, str]) -> None:
    """A CLI command's app.log handler is built when the command logs its first line (a
    trace logs none, and does not wait for the rotating handler's imports); every line reaches
    app.log, masked like every other."""
    s = load_settings(
        {**env, "AWS_SECRET_ACCESS_KEY": "s3cr3t-v4lue", "LAKECONSOLE_LOG_DIR": str(tmp_path)}
    )
    logger = setup_logging(s, on_first_line=True)
    logging.getLogger("lakeconsole.cli").warning("first line with %s", "s3cr3t-v4lue")
    logging.getLogger("lakeconsole.cli").warning("second line")
    for h in logger.handlers:
        h.flush()
    lines = (tmp_path / "app.log").read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == ["first line with ***", "second line"]
    assert setup_logging(s, on_first_line=True).handlers == logger.handlers  # once a process
