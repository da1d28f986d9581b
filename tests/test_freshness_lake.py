"""Is the mart fresh? Real pipelines run in tmp_path with the clock set, judged at later times."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lakeconsole.core.events import RunStatus
from lakeconsole.core.governance import findings
from lakeconsole.core.marts.freshness import lake_freshness, mart_freshness
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings, load_settings
from tests.conftest import Shipped
from tests.sales_fixtures import line, write_csv

Cli = Callable[..., subprocess.CompletedProcess[str]]
# Tuesday 1 December 2026, 09:00 local time: after the sales mart's 08:00 due time.
TUESDAY_9AM = datetime(2026, 12, 1, 9, 0).timestamp()
HOUR = 3600.0

GOOD = "tests.pipelines:good"
FAILING = "tests.pipelines:failing_bronze"


def local(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def sales_run_at(settings: Settings, at: float) -> None:
    """The sales pipeline on one landing file, every event stamped `at`."""
    write_csv(settings, f"orders_{int(at)}.csv", [line(order_id=f"A{int(at)}")])
    outcome = run_pipeline(load_pipeline(settings), settings, clock=lambda: at)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error


def with_pipeline(env: dict[str, str], spec: str, **more: str) -> Settings:
    return load_settings({**env, "LAKECONSOLE_PIPELINE": spec, **more})


def readme(settings: Settings, mart: str, rate: str) -> Path:
    path = settings.data_dir / "gold" / mart / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"# {mart}\n\n## Business Definition\nx\n\n## Owner\nme\n\n## Refresh Rate\n\n{rate}\n"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sales_mart_is_fresh_until_its_next_8am_plus_grace(settings: Settings) -> None:
    sales_run_at(settings, TUESDAY_9AM)
    wednesday_8am = datetime(2026, 12, 2, 8, 0).timestamp()

    (fresh,) = mart_freshness(settings, now=wednesday_8am + 59 * 60)
    assert fresh.mart == "sales" and fresh.state == "fresh"
    assert fresh.refresh_rate == "Daily at 8 AM" and fresh.last_success == TUESDAY_9AM
    assert fresh.next_due == wednesday_8am and fresh.steps == ("gold_daily_revenue",)

    (stale,) = mart_freshness(settings, now=wednesday_8am + HOUR)
    assert stale.state == "stale" and stale.stale_since == wednesday_8am + HOUR


def test_a_run_after_the_due_time_makes_the_mart_fresh_again(settings: Settings) -> None:
    sales_run_at(settings, TUESDAY_9AM)
    thursday = TUESDAY_9AM + 2 * 24 * HOUR
    assert mart_freshness(settings, now=thursday)[0].state == "stale"
    sales_run_at(settings, thursday)
    assert mart_freshness(settings, now=thursday + HOUR)[0].state == "fresh"


def test_a_no_op_run_still_refreshes_the_mart(settings: Settings) -> None:
    """Nothing new landed: the steps find nothing to do, succeed, and the mart is current."""
    sales_run_at(settings, TUESDAY_9AM)
    wednesday = TUESDAY_9AM + 24 * HOUR
    outcome = run_pipeline(load_pipeline(settings), settings, clock=lambda: wednesday)
    assert outcome.status == RunStatus.SUCCEEDED and outcome.records_processed == 0
    (mart,) = mart_freshness(settings, now=wednesday + HOUR)
    assert mart.state == "fresh" and mart.last_success == wednesday


def test_the_grace_is_a_setting(env: dict[str, str], settings: Settings) -> None:
    sales_run_at(settings, TUESDAY_9AM)
    at = datetime(2026, 12, 2, 8, 30).timestamp()
    assert mart_freshness(settings, now=at)[0].state == "fresh"  # default 60 min of grace
    strict = load_settings({**env, "FRESHNESS_GRACE_MINUTES": "0"})
    assert strict.freshness_grace_minutes == 0
    assert mart_freshness(strict, now=at)[0].state == "stale"


def test_a_step_that_failed_keeps_its_last_success_and_goes_stale(env: dict[str, str]) -> None:
    """Any declared pipeline: the good run refreshes gold/sales/daily; later its bronze fails,
    nothing downstream runs, and the mart and every step upstream of it go stale."""
    good = with_pipeline(env, GOOD)
    readme(good, "sales", "Hourly")
    assert run_pipeline(load_pipeline(good), good, clock=lambda: TUESDAY_9AM).status == "succeeded"
    failing = with_pipeline(env, FAILING)
    later = TUESDAY_9AM + 2 * HOUR
    run_pipeline(load_pipeline(failing), failing, clock=lambda: later)

    found = lake_freshness(failing, now=later + 5 * 60)
    (mart,) = found.marts
    assert mart.state == "stale" and mart.stale_since == TUESDAY_9AM + 2 * HOUR  # 10:00 + 1 h
    steps = {s.step: s for s in found.steps}
    assert steps["ingest"].last_success == TUESDAY_9AM
    assert steps["ingest"].last_failure == later
    assert "no header row" in (steps["ingest"].last_error or "")
    assert {n for n, s in steps.items() if s.stale} == {"ingest", "clean", "aggregate"}
    assert steps["ingest_fx"].state == "unscheduled"  # feeds no mart
    assert found.stale


def test_an_unreadable_rate_is_neither_fresh_nor_stale_and_check_names_the_forms(
    settings: Settings,
) -> None:
    sales_run_at(settings, TUESDAY_9AM)
    readme(settings, "sales", "Whenever the CFO asks")
    (mart,) = mart_freshness(settings)
    assert mart.state == "unreadable" and "Every 15 minutes" in (mart.problem or "")
    (finding,) = [f for f in findings(settings) if "Refresh Rate" in f.message]
    assert finding.code == "OPS-05" and finding.subject == "gold/sales"
    assert not [f for f in findings(settings) if f.code == "OPS-09"]
    assert "'Whenever the CFO asks' is not a schedule" in finding.message


def test_a_mart_no_step_writes_is_judged_by_its_last_commit(settings: Settings) -> None:
    from tests.governance_fixtures import make_mart

    make_mart(settings.data_dir, "finance", readme=None)
    readme(settings, "finance", "Every 15 minutes")
    (mart,) = mart_freshness(settings, now=time.time() + 60)
    assert mart.state == "fresh" and mart.steps == ()
    assert mart.last_success is not None and abs(mart.last_success - time.time()) < 60
    assert mart_freshness(settings, now=time.time() + HOUR + 16 * 60)[0].state == "stale"


# --- the CLI: `lakeconsole status` and `lakeconsole check` ---


def two_days_ago(settings: Settings) -> float:
    at = time.time() - 2 * 24 * HOUR
    sales_run_at(settings, at)
    return at


def test_status_lists_marts_and_steps_and_exits_1_when_stale(settings: Settings, cli: Cli) -> None:
    ran = two_days_ago(settings)
    done = cli(["status"])
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout
    sales = next(ln for ln in text.splitlines() if ln.startswith("sales "))
    assert "stale since" in sales and local(ran) in sales and "Daily at 8 AM (local time)" in sales
    for step in ("bronze_ingest", "silver_orders", "gold_daily_revenue"):
        row = next(ln for ln in text.splitlines() if ln.startswith(step + " "))
        assert "stale since" in row and row.rstrip().endswith("sales")
    assert "✗ stale: sales, bronze_ingest, silver_orders, gold_daily_revenue" in text


def test_status_exits_0_when_fresh_and_json_says_when(settings: Settings, cli: Cli) -> None:
    sales_run_at(settings, time.time())
    done = cli(["status"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ every mart and step is fresh" in done.stdout
    data = json.loads(cli(["status", "--json"]).stdout)
    assert data["ok"] is True and data["grace_minutes"] == 60
    (mart,) = data["marts"]
    assert mart["mart"] == "sales" and mart["state"] == "fresh" and mart["cron"] == "0 8 * * *"
    due = datetime.fromisoformat(mart["next_due"])
    assert due.hour == 8 and due > datetime.now().astimezone()
    assert [s["step"] for s in data["steps"]] == [
        "bronze_ingest",
        "silver_orders",
        "gold_daily_revenue",
    ]


def test_status_help_says_the_exit_codes_and_the_forms(cli: Cli) -> None:
    shown = cli(["status", "--help"]).stdout
    assert "1 when anything is stale" in shown and "Every 15 minutes" in shown
    assert "FRESHNESS_GRACE_MINUTES" in shown


def test_check_reports_a_stale_mart_with_the_fix(settings: Settings, cli: Cli) -> None:
    ran = two_days_ago(settings)
    done = cli(["check", "--json"])
    assert done.returncode == 1
    stale = [f for f in json.loads(done.stdout)["findings"] if f["code"] == "OPS-09"]
    assert [f["subject"] for f in stale] == ["gold/sales"]
    message = stale[0]["message"]
    assert message.startswith("stale since ")
    assert f"last refreshed {local(ran)}" in message and "`lakeconsole run`" in message


def test_check_has_no_freshness_finding_for_a_fresh_mart(settings: Settings) -> None:
    sales_run_at(settings, time.time())
    assert [f for f in findings(settings) if f.code == "OPS-09"] == []


@pytest.mark.parametrize("minutes", ["-5", "soon"])
def test_a_bad_grace_setting_is_refused_with_the_fix(env: dict[str, str], minutes: str) -> None:
    from lakeconsole.core.settings import SettingsError

    with pytest.raises(SettingsError, match="FRESHNESS_GRACE_MINUTES"):
        load_settings({**env, "FRESHNESS_GRACE_MINUTES": minutes})


def test_due_times_are_in_the_future_of_the_last_refresh() -> None:
    """The day boundary: a refresh at 23:59 is due at the next 08:00, not the one past."""
    from lakeconsole.core.marts.schedule import parse_schedule

    late = datetime(2026, 12, 1, 23, 59)
    due = parse_schedule("Daily at 8 AM").next_due(late.timestamp())
    assert datetime.fromtimestamp(due) == late.replace(hour=8, minute=0) + timedelta(days=1)


def test_every_shipped_pipeline_mart_is_judged_by_the_step_that_writes_it(
    shipped: Shipped,
) -> None:
    """Not the sales pipeline alone: each shipped pipeline's marts, their writers, their rate."""
    shipped.write_demo(rows=500, files=1, seed=3)
    settings = shipped.settings
    outcome = run_pipeline(load_pipeline(settings), settings, clock=lambda: TUESDAY_9AM)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    found = lake_freshness(settings, now=TUESDAY_9AM + HOUR)
    assert found.marts and not found.stale
    gold = {s.name for s in load_pipeline(settings).steps.values() if s.layer == "gold"}
    for mart in found.marts:
        assert mart.state == "fresh" and mart.refresh_rate == "Daily at 8 AM"
        assert mart.steps and set(mart.steps) <= gold
    later = lake_freshness(settings, now=TUESDAY_9AM + 2 * 24 * HOUR)
    assert all(m.stale for m in later.marts) and later.stale
