"""A process writing app.log through core.applog on a clock the test moves: a simulated midnight.

    python -m tests.faults.runtime_log_writer CLOCK_FILE LOG_FILE NAME LINES
Prints `ready`, then for each `day N` read on stdin writes LINES lines and prints `done`."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path


def main() -> None:
    clock, log, name, lines = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    time.time = lambda: float(clock.read_text())  # the test's clock, shared by both writers

    from lakeconsole.core.applog import daily_handler

    handler = daily_handler(log, keep_days=14)
    logger = logging.getLogger(f"writer.{name}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    print("ready", flush=True)
    for command in sys.stdin:
        day = int(command.split()[1])
        for n in range(lines):
            logger.info("%s day %d line %d", name, day, n)
        print("done", flush=True)
    handler.close()


if __name__ == "__main__":
    main()
