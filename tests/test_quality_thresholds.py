"""Per-rule quality thresholds (Lakeflow's expect / expect_or_fail): above `warn_above` a run
warns and records it; above `fail_above` the silver step fails after quarantining, blocks gold
(OPS-01) and alerts once, as a "quality threshold" incident."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeconsole import Pipeline, col, landing, rule
from lakeconsole.core.api import DeclarationError, SilverTable
from lakeconsole.core.blocks import silver as block
from lakeconsole.core.blocks.state import read_state
from lakeconsole.core.quality import Threshold, read_quality
from lakeconsole.core.settings import Settings
from tests.test_alerts import Receiver, receiver  # noqa: F401 (the fixture)
from tests.test_silver_block import rows, run, write_bronze

COLUMNS = ("visit", "code")


def declare(code_rule: Any) -> tuple[Any, SilverTable]:
    shop = Pipeline("visits")
    raw = shop.bronze("bronze/visits_raw", source=landing("visits_*.csv", columns=COLUMNS))
    visits = shop.silver(
        "silver/visits",
        from_=raw,
        key=("visit",),
        columns=[col("visit", "int32"), col("code")],
        rules=[rule.not_null("visit"), code_rule],
    )
    return raw, visits


def lines(good: int, bad: int) -> list[dict[str, str]]:
    return [{"visit": str(n), "code": "A1" if n <= good else "x"} for n in range(1, good + bad + 1)]


CODE = rule.matches("code", r"^[A-Z]\d$", name="code_malformed")


BAD = [(n,) for n in range(71, 101)]


def test_a_rule_above_its_fail_threshold_fails_silver_after_quarantining(
    settings: Settings,
) -> None:
    bronze, silver = declare(CODE.thresholds(warn_above=0.05, fail_above=0.2))
    write_bronze(settings, bronze, lines(70, 30), "visits_1.csv", 0)
    with pytest.raises(block.RuleThresholdFailed) as failed:
        run(settings, silver)
    said = str(failed.value)
    assert "\n" not in said
    assert said.startswith(
        "silver/visits: rule code_malformed rejected 30 of 100 lines (30.0%), above its "
        "fail_above 20.0%; they are in quarantine/visits_rejected"
    )
    assert "raise fail_above in rule code_malformed's .thresholds(...)" in said
    # No silent loss: the bad lines are quarantined, the good ones wait before the watermark.
    assert rows(settings, "quarantine/visits_rejected", "_source_row") == BAD
    assert rows(settings, "silver/visits", "visit") == []
    assert "done" not in read_state(settings, silver, "watermark")
    (record,) = read_quality(settings.state_dir)
    assert record.stopped and record.breached == {"code_malformed": "fail"}
    assert record.thresholds == {"code_malformed": Threshold(0.05, 0.2)}
    with pytest.raises(block.RuleThresholdFailed):
        run(settings, silver)  # a re-run fails the same way and quarantines nothing twice
    assert rows(settings, "quarantine/visits_rejected", "_source_row") == BAD
    # Raised for one run, the threshold lets silver take the good lines.
    _, relaxed = declare(CODE.thresholds(warn_above=0.05, fail_above=0.5))
    counts = run(settings, relaxed)
    assert counts["inserted"] == 70
    assert rows(settings, "quarantine/visits_rejected", "_source_row") == BAD


def test_a_rule_above_its_warn_threshold_warns_and_is_recorded(settings: Settings) -> None:
    bronze, silver = declare(CODE.thresholds(warn_above=0.05, fail_above=0.5))
    write_bronze(settings, bronze, lines(90, 10), "visits_1.csv", 0)
    ctx_result = block.run(_ctx(settings, silver), silver)
    assert ctx_result.details["inserted"] == 90
    assert (
        "silver/visits: rule code_malformed rejected 10 of 100 lines (10.0%), above its "
        "warn_above 5.0% (lakeconsole quality silver/visits --rule code_malformed)"
    ) in ctx_result.warnings
    (record,) = read_quality(settings.state_dir)
    assert not record.stopped and record.breached == {"code_malformed": "warn"}


def test_a_run_of_fewer_than_100_lines_is_not_judged(settings: Settings) -> None:
    bronze, silver = declare(CODE.thresholds(warn_above=0.05, fail_above=0.2))
    write_bronze(settings, bronze, lines(1, 1), "visits_1.csv", 0)  # 50%, of 2 lines
    result = block.run(_ctx(settings, silver), silver)
    assert result.details["inserted"] == 1
    assert not any("code_malformed rejected" in w for w in result.warnings)
    assert read_quality(settings.state_dir)[0].breached == {}


def _ctx(settings: Settings, table: SilverTable) -> Any:
    import threading

    from lakeconsole.core.dag import StepContext

    return StepContext(settings, "run-1", table.step, lambda *a: None, threading.Event())


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"fail_above": 5}, "rule code_malformed: fail_above is a share of a run's lines"),
        ({"warn_above": 0.2, "fail_above": 0.1}, "warn_above 0.2 is above fail_above 0.1"),
    ],
)
def test_a_wrong_threshold_is_refused_when_the_pipeline_loads(
    given: dict[str, float], said: str
) -> None:
    with pytest.raises(DeclarationError, match=said):
        declare(CODE.thresholds(**given))


LANDING = (
    "order_id",
    "line_no",
    "order_ts",
    "customer_id",
    "product_id",
    "region",
    "price",
    "qty",
    "tax",
    "currency",
)


def write_landing(path: Path, good: int, bad: int, bad_qty: str = "seven") -> None:
    """Order lines of the sales pipeline; the bad ones have a qty that is not a number."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL)
        out.writerow(LANDING)
        for n in range(good + bad):
            qty = "7" if n < good else bad_qty
            order = [
                f"{path.stem}-{n:09d}",
                "1",
                "2024-01-05T10:00:00Z",
                "C1",
                "P1",
                "west",
                "4.33",
            ]
            out.writerow([*order, qty, "2.12", "EUR"])


def test_a_landing_with_30_percent_bad_lines_fails_silver_blocks_gold_and_alerts_once(
    cli: Callable[..., Any],
    env: dict[str, str],
    home: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    on = {**env, "ALERT_WEBHOOK_URL": receiver.url}
    write_landing(home / "data" / "landing" / "orders_0001.csv", 100, 0)
    assert cli(["run"], env=on).returncode == 0
    write_landing(home / "data" / "landing" / "orders_0002.csv", 70, 30)
    failed = cli(["run"], env=on)
    assert failed.returncode == 1
    said = failed.stdout + failed.stderr
    assert (
        "silver/sales_orders: rule qty_not_an_integer rejected 30 of 100 lines (30.0%), above "
        "its fail_above 10.0%"
    ) in said
    assert "raise fail_above in rule qty_not_an_integer's .thresholds(...)" in said
    runs = json.loads(cli(["runs", "--json"], env=on).stdout)
    steps = {s["name"]: s for s in runs[0]["steps"]}
    assert steps["silver_orders"]["state"] == "failed"
    assert steps["gold_daily_revenue"]["state"] == "skipped"
    again = cli(["run"], env=on)
    assert again.returncode == 1  # the same lines, the same failure: still one incident
    about_silver = [b for b in receiver.bodies if "silver_orders" in b["incident"]]
    assert [(b["state"], b["kind"], b["incident"]) for b in about_silver] == [
        ("open", "quality_threshold", "quality-threshold:silver_orders")
    ]  # one alert, of its own kind: no "step failed" beside it
    (alert,) = about_silver
    assert alert["title"] == "silver/sales_orders: qty_not_an_integer above fail_above"
    assert "rejected 30 of 100 lines (30.0%)" in alert["message"]
    shown = cli(["quality", "silver/sales_orders"], env=on).stdout
    assert "qty_not_an_integer" in shown and "FAIL" in shown


def test_the_shipped_pipelines_declare_thresholds() -> None:
    from lakeconsole.core.quality import rule_thresholds
    from lakeconsole.pipelines import events, sales

    for pipeline in (sales.pipeline, events.pipeline):
        (silver,) = [t for t in pipeline.declared.values() if isinstance(t, SilverTable)]
        held = rule_thresholds(silver.rules)
        assert held and all(t.warn_above == 0.01 for t in held.values())
        assert any(t.fail_above == 0.10 for t in held.values())
    assert dataclasses.is_dataclass(Threshold)


def test_a_warn_threshold_is_in_the_run_record_and_in_quality(
    cli: Callable[..., Any], home: Path
) -> None:
    write_landing(home / "data" / "landing" / "orders_0001.csv", 197, 3, bad_qty="0")
    done = cli(["run"])
    assert done.returncode == 0, done.stderr
    said = (
        "silver/sales_orders: rule qty_not_positive rejected 3 of 200 lines (1.5%), above its "
        "warn_above 1.0%"
    )
    assert said in done.stdout + done.stderr
    (record,) = json.loads(cli(["runs", "--json"]).stdout)
    assert any(w.startswith(said) for w in record["warnings"])
    shown = cli(["runs", record["run_id"]]).stdout
    assert said in shown
    rules = json.loads(cli(["quality", "--json"]).stdout)["rules"]
    (qty,) = [r for r in rules if r["rule"] == "qty_not_positive"]
    assert (qty["breached"], qty["warn_above"], qty["fail_above"]) == ("warn", 0.01, None)
    assert "WARN" in cli(["quality"]).stdout


def test_the_readme_lists_the_sales_rules_thresholds_as_declared() -> None:
    import re

    from lakeconsole.core.quality import rule_thresholds
    from lakeconsole.pipelines import sales

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| (warn[^|]*?) \|$", readme, re.M))
    declared = {k: t.text() for k, t in rule_thresholds(sales.orders.rules).items()}
    assert listed == declared
