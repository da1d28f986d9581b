"""Data quality over time: every run that checks lines records, per silver table and rule, the
lines checked and rejected (the run stopped by fail_above too); `lakeconsole quality` shows the
trend and pages through a rule's quarantined lines with the landing file and line they came
from."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from deltalake import DeltaTable

from lakeconsole.core.blocks import silver as block
from lakeconsole.core.quality import ledger_path, read_quality, sparkline, trends
from lakeconsole.core.settings import Settings
from tests.test_silver_block import declare, line, run, write_bronze

QUARANTINE = "quarantine/sales_orders_rejected"


def bronze_lines(home: Any) -> int:
    return int(DeltaTable(str(home / "data" / "bronze/sales_orders_raw")).count())


def quarantined_by_rule(home: Any) -> Counter[str]:
    rules = DeltaTable(str(home / "data" / QUARANTINE)).to_pyarrow_table(columns=["rule"])
    return Counter(rules.column("rule").to_pylist())


def test_each_run_records_lines_checked_and_rejected_per_rule_and_a_no_op_nothing(
    cli: Callable[..., Any], home: Any, settings: Settings
) -> None:
    assert cli(["demo", "--rows", "4000", "--files", "2"]).returncode == 0
    assert cli(["run"]).returncode == 0
    first = read_quality(settings.state_dir)
    assert [r.table for r in first] == ["silver/sales_orders"]
    (record,) = first
    assert record.quarantine == QUARANTINE
    assert record.checked == bronze_lines(home)  # every bronze line (re-sent ones too)
    # Per rule, what quarantine holds: the counts add up to the quarantined lines.
    assert Counter(record.rejected) == quarantined_by_rule(home)
    assert cli(["run"]).returncode == 0  # a no-op checks nothing: no record
    assert len(read_quality(settings.state_dir)) == 1
    more = ["demo", "--rows", "1000", "--files", "1", "--prefix", "inc", "--after", "4000"]
    assert cli([*more, "--seed", "3"]).returncode == 0
    before = bronze_lines(home)
    assert cli(["run"]).returncode == 0
    second = read_quality(settings.state_dir)[-1]
    assert second.checked == bronze_lines(home) - before and second.run_id != record.run_id
    assert Counter(record.rejected) + Counter(second.rejected) == quarantined_by_rule(home)


def test_a_run_stopped_by_fail_above_is_recorded_as_stopped(settings: Settings) -> None:
    bronze, silver = declare(fail_above=0.25)
    lines = [line(), line(visit="2", code="x"), line(visit="3", code="y"), line(visit="4")]
    write_bronze(settings, bronze, lines, "visits_1.csv", 0)
    with pytest.raises(block.TooManyRejected):
        run(settings, silver)
    (record,) = read_quality(settings.state_dir)
    assert (record.table, record.checked, record.rejected) == (
        "silver/visits",
        4,
        {"code_malformed": 2},
    )
    assert record.stopped


def test_trends_are_shares_per_rule_and_rising_is_against_the_median() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.0, 0.0]) == "▁▁"


def test_a_torn_last_line_is_skipped(settings: Settings) -> None:
    bronze, silver = declare()
    write_bronze(settings, bronze, [line(), line(visit="2", code="x")], "visits_1.csv", 0)
    run(settings, silver)
    with ledger_path(settings.state_dir).open("a") as fh:
        fh.write('{"run_id": "run-2", "at": 1.0, "tab')  # a crash mid-append
    assert [r.run_id for r in read_quality(settings.state_dir)] == ["run-1"]
    (trend,) = trends(read_quality(settings.state_dir), 10)
    assert (trend.rule, trend.shares, trend.rising) == ("code_malformed", [0.5], False)


def test_cli_quality_shows_the_trend_and_a_rules_quarantined_lines_with_lineage(
    cli: Callable[..., Any], home: Any
) -> None:
    assert cli(["demo", "--rows", "4000", "--files", "2"]).returncode == 0
    assert cli(["run"]).returncode == 0
    for n in (1, 2):
        inc = ["demo", "--rows", "1000", "--files", "1", "--prefix", f"inc{n}"]
        assert cli([*inc, "--after", str(3000 + n * 1000), "--seed", str(n)]).returncode == 0
        assert cli(["run"]).returncode == 0
    shown = cli(["quality"])
    assert shown.returncode == 0, shown.stderr
    data = json.loads(cli(["quality", "--json"]).stdout)
    rule = max(data["rules"], key=lambda r: sum(r["rejected"]))
    assert len(rule["shares"]) == 3 and sum(rule["checked"]) == bronze_lines(home)
    assert f"silver/sales_orders: 3 run(s), {bronze_lines(home):,} lines checked" in shown.stdout
    assert rule["rule"] in shown.stdout
    page = cli(["quality", "silver/sales_orders", "--rule", rule["rule"], "--limit", "2"])
    assert page.returncode == 0, page.stderr
    total = quarantined_by_rule(home)[rule["rule"]]
    assert f"where rule={rule['rule']}: lines 1-2 of {total:,}" in page.stdout
    assert "_source_file" in page.stdout and "_source_row" in page.stdout
    assert f"--rule {rule['rule']} --offset 2 --limit 2" in page.stdout
    missing = cli(["quality", "silver/nope"])
    assert missing.returncode == 2 and "no quality records for silver/nope" in missing.stderr
