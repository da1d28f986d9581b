"""The OPS-09 heartbeat says what the run did (issue 13, item 12): a run that ingests nothing new
but merges an earlier run's bronze lines does not say just "Processed 0 records"."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from lakeconsole.core.heartbeat import heartbeat_line

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_a_run_that_finishes_an_earlier_runs_work_says_what_it_wrote(cli: Cli) -> None:
    assert cli(["demo", "--rows", "2000", "--files", "2"]).returncode == 0
    # An earlier run that stopped after bronze (cancelled, or --only): bronze holds the lines.
    assert cli(["run", "--only", "bronze_ingest"]).returncode == 0
    resumed = cli(["run"])
    assert resumed.returncode == 0, resumed.stderr
    heartbeat = resumed.stdout.strip().splitlines()[-1]
    assert heartbeat.startswith("✓ Pipeline Finished: Processed 0 new landing records; ")
    assert "from an earlier run's input: silver_orders wrote 1," in heartbeat
    assert "gold_daily_revenue wrote " in heartbeat


def test_the_console_and_the_cli_say_the_same_heartbeat() -> None:
    wrote = {"bronze_ingest": 0, "silver_orders": 500_000, "gold_daily_revenue": 31}
    assert heartbeat_line("succeeded", 0, None, wrote) == (
        "✓ Pipeline Finished: Processed 0 new landing records; from an earlier run's input: "
        "silver_orders wrote 500,000 rows, gold_daily_revenue wrote 31 rows"
    )
    # A run with new landing rows, and a run that did nothing, keep OPS-09's words.
    assert heartbeat_line("succeeded", 12, None, {"silver_orders": 12}) == (
        "✓ Pipeline Finished: Processed 12 records"
    )
    assert heartbeat_line("succeeded", 0, None, {"silver_orders": 0}) == (
        "✓ Pipeline Finished: Processed 0 records"
    )
