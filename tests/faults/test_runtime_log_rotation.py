"""Issue 13 item 10 (OPS-04): two processes on one app.log across midnight lose no line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO

DAY = 86_400.0
LINES = 20


def start_writer(clock: Path, log: Path, name: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.faults.runtime_log_writer",
            str(clock),
            str(log),
            name,
            str(LINES),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def write_day(proc: subprocess.Popen[str], day: int) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"day {day}\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "done"


def test_two_processes_on_one_log_keep_every_line_across_midnight(tmp_path: Path) -> None:
    # The console and cron both hold app.log open; each day both write, one of them first.
    start = time.time()
    clock = tmp_path / "clock"
    clock.write_text(str(start))
    log = tmp_path / "logs" / "app.log"
    console, cron = start_writer(clock, log, "console"), start_writer(clock, log, "cron")
    try:
        for day in range(21):
            clock.write_text(str(start + day * DAY))
            order = (console, cron) if day % 2 == 0 else (cron, console)
            for proc in order:
                write_day(proc, day)
    finally:
        for proc in (console, cron):
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)

    def dated(day: int) -> Path:
        return log.with_name(
            "app.log." + time.strftime("%Y-%m-%d", time.localtime(start + day * DAY))
        )

    def lines_of(path: Path) -> list[str]:
        return sorted(line.split(": ", 1)[1] for line in path.read_text().splitlines())

    def expected(day: int) -> list[str]:
        return sorted(
            f"{who} day {day} line {n}" for who in ("console", "cron") for n in range(LINES)
        )

    # One rotated file per day, the last 14 days kept, older ones deleted (LOG_RETENTION_DAYS).
    rotated = sorted(p.name for p in log.parent.glob("app.log.*"))
    assert rotated == sorted(dated(day).name for day in range(6, 20))
    # Every line of a kept day is in that day's file, from both processes; today's in app.log.
    for day in range(6, 20):
        assert lines_of(dated(day)) == expected(day), f"day {day} lost or misplaced lines"
    assert lines_of(log) == expected(20)
