"""A mart README's Refresh Rate read as a schedule: each accepted form, and its due times."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lakeconsole.core.marts.readme import section_text, template
from lakeconsole.core.marts.schedule import (
    ACCEPTED_FORMS,
    ScheduleError,
    parse_schedule,
    schedule_line,
)

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def paris(*args: int) -> float:
    return datetime(*args, tzinfo=PARIS).timestamp()  # type: ignore[misc]


def shown(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%a %Y-%m-%d %H:%M")


@pytest.fixture
def local_paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local zone is Paris (TZ), as a server in France would have it."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("Daily", "0 0 * * *"),
        ("Daily at 8 AM", "0 8 * * *"),
        ("daily at 8:30pm", "30 20 * * *"),
        ("Every day at 20:15", "15 20 * * *"),
        ("Daily at noon", "0 12 * * *"),
        ("Hourly", "0 * * * *"),
        ("Every 15 minutes", "*/15 * * * *"),
        ("Every 2 hours", "0 */2 * * *"),
        ("Every Monday", "0 0 * * 1"),
        ("Every Monday at 7:30", "30 7 * * 1"),
        ("Every Monday and Friday at 6 PM", "0 18 * * 1,5"),
        ("Weekdays at 6 PM", "0 18 * * 1-5"),
        ("0 8 * * 1-5", "0 8 * * 1-5"),
        ("*/10 9-17 * * mon-fri", "*/10 9-17 * * mon-fri"),
    ],
)
def test_each_accepted_form_reads_as_its_cron_expression(text: str, cron: str) -> None:
    assert parse_schedule(text).cron == cron


def test_every_example_the_error_offers_is_itself_accepted() -> None:
    for form in ACCEPTED_FORMS[:-1]:
        parse_schedule(form)
    parse_schedule(ACCEPTED_FORMS[-1].removeprefix("a cron expression such as "))


def test_the_sales_mart_sentence_reads_as_daily_at_8() -> None:
    """The shipped README says more than the schedule: the first clause is the schedule."""
    text = "\nDaily at 8 AM (whenever `lakeconsole run` runs; cron it, e.g. `0 8 * * *`).\nMore."
    assert schedule_line(text) == "Daily at 8 AM"
    assert parse_schedule(text).cron == "0 8 * * *"


@pytest.mark.parametrize("text", ["Whenever the CFO asks", "Mondays", "Daily at 25:00", "1 2 3"])
def test_a_rate_that_is_not_a_schedule_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    message = str(caught.value)
    assert "Daily at 8 AM" in message or "time of day" in message or "cron" in message


def test_the_unreadable_message_lists_every_form() -> None:
    with pytest.raises(ScheduleError, match="is not a schedule lakeconsole can read") as caught:
        parse_schedule("Whenever the CFO asks")
    for form in ("Daily", "Hourly", "Every 15 minutes", "Every Monday", "0 8 * * 1-5", "UTC"):
        assert form in str(caught.value)


def test_an_uneven_interval_and_an_impossible_date_are_refused() -> None:
    with pytest.raises(ScheduleError, match="divides 60"):
        parse_schedule("Every 7 minutes")
    with pytest.raises(ScheduleError, match="never due"):
        parse_schedule("0 0 30 2 *")
    with pytest.raises(ScheduleError, match="out of range"):
        parse_schedule("0 24 * * *")


def test_an_unknown_zone_is_refused_with_the_fix() -> None:
    with pytest.raises(ScheduleError, match="not a time zone this machine knows"):
        parse_schedule("Daily at 8 AM Mars/Olympus")


def test_daily_at_8_utc_is_due_next_day_after_8_and_same_day_before() -> None:
    daily = parse_schedule("Daily at 8 AM UTC")
    assert daily.zone == "UTC"
    assert shown(daily.next_due(utc(2026, 12, 31, 9, 0))) == "Fri 2027-01-01 08:00"
    assert shown(daily.next_due(utc(2026, 12, 31, 7, 59))) == "Thu 2026-12-31 08:00"
    assert shown(daily.next_due(utc(2026, 12, 31, 8, 0))) == "Fri 2027-01-01 08:00"  # strictly
    assert shown(daily.previous_due(utc(2026, 12, 31, 8, 0))) == "Thu 2026-12-31 08:00"
    assert shown(daily.previous_due(utc(2027, 1, 1, 7, 59))) == "Thu 2026-12-31 08:00"


def test_every_monday_crosses_the_week() -> None:
    monday = parse_schedule("Every Monday at 7:30 UTC")
    saturday = utc(2026, 12, 5, 12, 0)
    assert shown(monday.next_due(saturday)) == "Mon 2026-12-07 07:30"
    assert shown(monday.previous_due(saturday)) == "Mon 2026-11-30 07:30"


def test_every_15_minutes_and_hourly_cross_midnight() -> None:
    late = utc(2026, 12, 31, 23, 50)
    assert shown(parse_schedule("Every 15 minutes UTC").next_due(late)) == "Fri 2027-01-01 00:00"
    assert shown(parse_schedule("Hourly UTC").previous_due(late)) == "Thu 2026-12-31 23:00"


def test_cron_day_of_month_or_day_of_week_either_matches() -> None:
    """As cron: with both restricted, the 1st of the month or any Friday is due."""
    either = parse_schedule("0 6 1 * 5 UTC")
    assert shown(either.next_due(utc(2026, 11, 28, 0, 0))) == "Tue 2026-12-01 06:00"
    assert shown(either.next_due(utc(2026, 12, 1, 7, 0))) == "Fri 2026-12-04 06:00"


def test_daily_8am_stays_8am_local_across_the_spring_change_in_a_named_zone() -> None:
    daily = parse_schedule("Daily at 8 AM Europe/Paris")
    saturday = paris(2026, 3, 28, 9, 0)  # Paris moves to summer time in the night to the 29th
    before, after = daily.previous_due(saturday), daily.next_due(saturday)
    assert datetime.fromtimestamp(before, PARIS).hour == 8
    assert datetime.fromtimestamp(after, PARIS).hour == 8
    assert after - before == 23 * 3600  # the night of the change is an hour short
    assert shown(after) == "Sun 2026-03-29 06:00"  # 08:00 summer time is 06:00 UTC


def test_the_machine_zone_is_used_when_the_rate_names_none(local_paris: None) -> None:
    daily = parse_schedule("Daily at 8 AM")
    assert daily.zone is None and daily.zone_label == "local time"
    winter = daily.next_due(paris(2026, 10, 24, 9, 0))  # summer time ends on the 25th
    summer_end = daily.previous_due(paris(2026, 10, 24, 9, 0))
    assert datetime.fromtimestamp(winter, PARIS).hour == 8
    assert winter - summer_end == 25 * 3600  # the night the clocks go back is an hour long
    assert shown(winter) == "Sun 2026-10-25 07:00"


def test_a_time_in_the_spring_gap_is_due_just_after_it(local_paris: None) -> None:
    """02:30 does not exist in Paris on 29 March 2026: the run is due at 03:30 summer time."""
    gap = parse_schedule("Daily at 2:30")
    due = gap.next_due(paris(2026, 3, 29, 0, 0))
    assert shown(due) == "Sun 2026-03-29 01:30"  # = 03:30 CEST
    assert gap.next_due(due) == paris(2026, 3, 30, 2, 30)


def test_the_template_hint_lists_the_accepted_forms() -> None:
    hint = section_text(template("finance"), "Refresh Rate") or ""
    for form in ("Daily at 8 AM", "Hourly", "Every 15 minutes", "Every Monday", "0 8 * * 1-5"):
        assert form in hint
    assert "UTC" in hint
    assert schedule_line(hint) == ""  # a hint in a comment is no schedule yet
