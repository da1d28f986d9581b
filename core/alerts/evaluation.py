"""What to alert, after a run and between runs; and the test alert."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from lakeconsole.core.alerts.incidents import (
    Condition,
    Delivery,
    Incident,
    alert_body,
    evaluate,
)
from lakeconsole.core.alerts.targets import Target, alert_targets
from lakeconsole.core.events import StepState
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.alerts")

UPKEEP_KINDS = {"latency": "latency_creep"}  # else "<name>_overdue"


def quality_conditions(settings: Settings, record: RunRecord) -> list[Condition]:
    """A step this run stopped on a rule's fail_above: one "quality threshold" incident per
    step (it stands for the step's failure: that step sends no "step failed" alert beside it)."""
    failed = {s.name: s for s in record.steps if s.state == StepState.FAILED.value}
    if not failed:
        return []
    from lakeconsole.core.quality import lake_quality

    out = []
    for q in lake_quality(settings):
        rules = sorted(r for r, level in q.breached.items() if level == "fail")
        if q.run_id != record.run_id or q.step not in failed or not rules:
            continue
        step = failed[q.step]
        out.append(
            Condition(
                f"{QUALITY_KEY}{q.step}",
                "quality_threshold",
                f"{q.table}: {', '.join(rules)} above fail_above",
                f"run {record.run_id}: step {q.step} failed: {step.error}; steps after it were "
                "blocked (OPS-01)",
            )
        )
    return out


QUALITY_KEY = "quality-threshold:"


def step_conditions(record: RunRecord, already: Sequence[Condition] = ()) -> list[Condition]:
    """Each failed step, but for one `already` alerted under another kind (a quality threshold)."""
    said = {c.key.removeprefix(QUALITY_KEY) for c in already}
    return [
        Condition(
            f"step-failed:{s.name}",
            "step_failed",
            f"{s.name} failed",
            f"run {record.run_id}: step {s.name} failed: {s.error}; steps after it were "
            f"blocked (OPS-01). `lakeconsole runs {record.run_id}` shows the run",
        )
        for s in record.steps
        if s.state == StepState.FAILED.value and s.name not in said
    ]


def upkeep_conditions(settings: Settings) -> list[Condition]:
    """Every overdue item of the maintenance summary (the dashboard's panel, `maintain`)."""
    from lakeconsole.core.upkeep import upkeep_status

    return [
        Condition(
            f"upkeep:{item.name}",
            UPKEEP_KINDS.get(item.name, f"{item.name.replace(' ', '_')}_overdue"),
            f"{item.name} overdue" if item.name != "latency" else "latency creeping",
            f"{item.name}: {item.detail}",
        )
        for item in upkeep_status(settings)
        if item.overdue
    ]


def freshness_conditions(settings: Settings) -> list[Condition]:
    """Every mart not refreshed on time by its README's Refresh Rate (`lakeconsole status`)."""
    from lakeconsole.core.marts.freshness import STALE, iso, mart_freshness

    return [
        Condition(
            f"stale-mart:{m.mart}",
            "stale_mart",
            f"mart {m.mart} stale",
            f"mart {m.mart} is stale since {iso(m.stale_since)}: its Refresh Rate is "
            f"'{m.refresh_rate}', last refreshed {iso(m.last_success) or 'never'}. Run the "
            "pipeline (`lakeconsole status` says which steps feed it)",
        )
        for m in mart_freshness(settings)
        if m.state == STALE
    ]


def judged_between_runs(key: str) -> bool:
    """What an evaluation without a run can close: upkeep and freshness, not a failed step."""
    return key.startswith(("upkeep:", "stale-mart:"))


def after_run(settings: Settings, record: RunRecord | None) -> list[Delivery]:
    """The run's failed steps and the upkeep state, evaluated; a step that ran and did not fail
    closes its incident. Never raises: the run's own result stands whatever happens here."""
    try:
        targets = alert_targets(settings)
        if not targets or record is None:
            return []
        ran = {
            f"{prefix}{s.name}"
            for s in record.steps
            if s.state in (StepState.SUCCEEDED.value, StepState.FAILED.value)
            for prefix in ("step-failed:", QUALITY_KEY)
        }
        quality = quality_conditions(settings, record)
        found = (
            quality
            + step_conditions(record, quality)
            + upkeep_conditions(settings)
            + freshness_conditions(settings)
        )
        return evaluate(
            settings,
            targets,
            found,
            lambda key: key in ran or judged_between_runs(key),
            run_id=record.run_id,
        )
    except Exception as exc:
        log.warning("alerts were not evaluated: %s", exc)
        return []


def check_now(settings: Settings, targets: list[Target]) -> list[Delivery]:
    """Between runs (cron): upkeep and the marts' freshness; step incidents wait for a run."""
    found = upkeep_conditions(settings) + freshness_conditions(settings)
    return evaluate(settings, targets, found, judged_between_runs)


def send_test(settings: Settings, targets: list[Target]) -> list[Delivery]:
    """One test alert to every target, outside the incidents."""
    now = time.time()
    test = Incident(
        "test",
        "test",
        "test alert",
        "a test alert from `lakeconsole alerts test`: this target receives lakeconsole's alerts",
        now,
    )
    body = alert_body(settings, test, "test", now)
    return [Delivery("test", "test", t.name, t.send(body)) for t in targets]
