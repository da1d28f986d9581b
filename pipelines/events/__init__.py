"""App events as JSON lines, declared with the pipeline API: the second shipped pipeline.

    landing/events_*.jsonl → bronze/app_events_raw → silver/app_events
        → gold/product/daily_active_users, gold/product/daily_funnel

Bronze keeps every line as text with its lineage (`properties`, a nested object, as JSON text);
silver types and validates each event (a failing line goes to quarantine/app_events_rejected
with the first rule it failed), keeps the latest line per event_id (a client re-sends events it
is not sure were received) and MERGEs by event date; gold recomputes daily active users and the
purchase funnel for the event dates silver changed, late events included. This module only
declares and imports the public API alone: the engine (lakeconsole.core.blocks) does the work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from lakeconsole import Pipeline, col, landing, rule

if TYPE_CHECKING:
    import datetime

    import pyarrow as pa

    from lakeconsole import GoldContext

# The keys a landing line has, as the app's event collector writes them.
LANDING_COLUMNS: tuple[str, ...] = (
    "event_id",
    "user_id",
    "session_id",
    "event_type",
    "event_ts",
    "app_version",
    "platform",
    "properties",
)
EVENT_TYPES: tuple[str, ...] = (
    "app_open",
    "search",
    "view_item",
    "add_to_cart",
    "purchase",
    "app_close",
)
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")
# The purchase funnel, in order: a user counts at a step if they did it that day.
FUNNEL: tuple[str, ...] = ("app_open", "view_item", "add_to_cart", "purchase")
# Mostly distinct per row: a dictionary costs time to build and is then dropped.
DISTINCT = ("event_id", "event_ts", "properties", "_source_row")
# Quality thresholds, as shares of a run's events: every rule warns above 1%; the two that catch a
# change of format in the app (a time or properties that do not parse) fail the step above 10%
# (gold is then blocked, OPS-01). An unknown event type only warns: a new app version adds types.
WARN = 0.01
FORMAT = {"warn_above": WARN, "fail_above": 0.10}

# A flat JSON object of strings, numbers, booleans and nulls: what the collector sends, checked
# as one vectorised regex; the rest (nested values, unusual escapes) is parsed exactly.
_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrtu])*"'
_SCALAR = rf"(?:{_STRING}|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
_MEMBER = rf"\s*{_STRING}\s*:\s*{_SCALAR}\s*"
FLAT_OBJECT = rf"^\s*\{{(?:{_MEMBER}(?:,{_MEMBER})*|\s*)\}}\s*$"

pipeline = Pipeline(
    "events",
    description="App events: landing JSON lines → bronze → silver → the product mart",
    demo="lakeconsole.pipelines.events.demo:write_demo",
    readme_templates=Path(__file__).parent / "marts",
)

events_raw = pipeline.bronze(
    "bronze/app_events_raw",
    source=landing("events_*.jsonl", columns=LANDING_COLUMNS),
    description="Landing app events as raw text plus lineage. Append-only, never rewritten.",
    rejected_files="quarantine/app_events_files_rejected",
    step="bronze_events",
    no_dictionary=DISTINCT,
)


def properties_are_an_object(rows: pa.Table) -> pa.Array:
    """True where `properties` is empty or the text of a JSON object (rule properties_not_json)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = rows.column("properties")
    if pa.types.is_string_view(text.type) or pa.types.is_large_string(text.type):
        text = pc.cast(text, pa.string())
    fine = pc.fill_null(pc.match_substring_regex(text, FLAT_OBJECT), True)
    passes = np.asarray(fine.to_numpy(zero_copy_only=False), dtype=bool).copy()
    # The few others: blank (trimmed as silver trims), else read by Python's json.
    doubtful = np.flatnonzero(~passes)
    others = text.take(pa.array(doubtful))
    blank = pc.equal(pc.utf8_trim_whitespace(others), "").to_pylist()
    for i, value, empty in zip(doubtful, others.to_pylist(), blank, strict=True):
        passes[i] = bool(empty) or _is_object(value)
    return pa.array(passes)


def _is_object(value: str) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


app_events = pipeline.silver(
    "silver/app_events",
    from_=events_raw,
    description="Clean app events: typed, validated, one live row per event_id.",
    columns=[
        col("event_id", "string", "Event identifier the app gives each event"),
        col("user_id", "string", "User who did it"),
        col("session_id", "string", "App session it happened in"),
        col("event_type", "string", f"What happened, lower case: {', '.join(EVENT_TYPES)}"),
        col("event_ts", "timestamp", "When it happened on the device, in UTC"),
        col("event_date", "date", "UTC date of event_ts; the partition"),
        col("app_version", "string", "App version that sent it"),
        col("platform", "string", "ios, android or web"),
        col("properties", "string", "Event details as JSON object text (may be empty)"),
    ],
    key=("event_id",),
    # Daily partitions: a late event rewrites only its own day, and gold recomputes only it.
    partition_by=("event_date",),
    zorder_by=("user_id",),
    derive={"event_date": "date(event_ts)", "event_type": "lower(event_type)"},
    # Checked in this order; an event is quarantined with the first it fails.
    rules=[
        rule.not_null("event_id", name="event_id_missing").thresholds(warn_above=WARN),
        rule.not_null("user_id", name="user_id_missing").thresholds(warn_above=WARN),
        rule.not_null("session_id", name="session_id_missing").thresholds(warn_above=WARN),
        rule.parses(
            "event_ts", name="event_ts_unparseable", problem="is not an ISO 8601 date and time"
        ).thresholds(**FORMAT),
        rule.one_of("event_type", EVENT_TYPES, name="event_type_unknown").thresholds(
            warn_above=WARN
        ),
        rule.one_of("platform", PLATFORMS, name="platform_unknown").thresholds(warn_above=WARN),
        rule.check(
            "properties_not_json",
            "properties",
            properties_are_an_object,
            problem="is not a JSON object",
        ).thresholds(**FORMAT),
    ],
    rejected_rows="quarantine/app_events_rejected",
    step="silver_events",
    no_dictionary=DISTINCT,
)


@pipeline.gold(
    "gold/product/daily_active_users",
    reads=[app_events],
    columns=[
        col("event_date", "date", "UTC event date"),
        col("platform", "string", "ios, android or web"),
        col("users", "int64", "Daily active users: distinct users with an event that day"),
        col("sessions", "int64", "Distinct sessions with an event that day"),
        col("events", "int64", "Events that day"),
    ],
    key=("event_date", "platform"),
    partition_by=("event_date",),
    step="gold_daily_active_users",
)
def daily_active_users(ctx: GoldContext, changed: list[datetime.date]) -> pa.Table:
    """Daily active users, sessions and events per event date and platform (mart product)."""
    import pyarrow as pa

    rows = ctx.sql(
        "SELECT event_date, platform, count(DISTINCT user_id) AS users, "
        "count(DISTINCT session_id) AS sessions, count(*) AS events "
        "FROM app_events WHERE event_date IN {changed} "
        "GROUP BY event_date, platform ORDER BY event_date, platform"
    )
    schema = pa.schema(
        [
            ("event_date", pa.date32()),
            ("platform", pa.string()),
            ("users", pa.int64()),
            ("sessions", pa.int64()),
            ("events", pa.int64()),
        ]
    )
    return pa.table({f.name: rows.column(f.name).cast(f.type) for f in schema}, schema=schema)


def _funnel_counts() -> str:
    return ", ".join(
        f"count(DISTINCT CASE WHEN event_type = '{step}' THEN user_id END) AS step_{n}"
        for n, step in enumerate(FUNNEL, 1)
    )


@pipeline.gold(
    "gold/product/daily_funnel",
    reads=[app_events],
    columns=[
        col("event_date", "date", "UTC event date"),
        col("step", "string", f"Funnel step: {' → '.join(FUNNEL)}"),
        col("step_order", "int32", "Position of the step in the funnel (1 = first)"),
        col("users", "int64", "Distinct users who did the step that day"),
        col(
            "conversion_from_previous",
            "double",
            "users ÷ users of the previous step that day; empty for the first step or none before",
        ),
    ],
    key=("event_date", "step"),
    partition_by=("event_date",),
    step="gold_daily_funnel",
)
def daily_funnel(ctx: GoldContext, changed: list[datetime.date]) -> pa.Table:
    """The purchase funnel per event date: users at each step and conversion (mart product)."""
    import numpy as np
    import pyarrow as pa

    # One row per day with any event, so a day with no purchase still shows the step at 0.
    days = ctx.sql(
        f"SELECT event_date, {_funnel_counts()} FROM app_events "
        "WHERE event_date IN {changed} GROUP BY event_date ORDER BY event_date"
    )
    n, steps = days.num_rows, len(FUNNEL)
    users = np.zeros((n, steps), dtype=np.int64)
    for k in range(steps):
        users[:, k] = np.asarray(days.column(f"step_{k + 1}").cast(pa.int64()), dtype=np.int64)
    before = np.zeros_like(users)
    before[:, 1:] = users[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = users / before
    return pa.table(
        {
            "event_date": days.column("event_date")
            .cast(pa.date32())
            .take(pa.array(np.repeat(np.arange(n), steps))),
            "step": pa.array(np.tile(np.array(FUNNEL), n), pa.string()),
            "step_order": pa.array(np.tile(np.arange(1, steps + 1), n), pa.int32()),
            "users": pa.array(users.ravel(), pa.int64()),
            # No previous step (the first) or nobody at it: no conversion to speak of.
            "conversion_from_previous": pa.array(
                conversion.ravel(), pa.float64(), mask=(before == 0).ravel()
            ),
        }
    )
