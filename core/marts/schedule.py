"""A mart README's `## Refresh Rate` read as a schedule: when is the mart due to be refreshed.

Every accepted form becomes the five fields of a cron expression (minute hour day-of-month month
day-of-week), and one small evaluator answers "the next due time after t" and "the latest due
time at or before t". Times are wall-clock times in the machine's local zone unless the text
names one ("Daily at 8 AM UTC", "... Europe/Paris"), so a daily 08:00 stays 08:00 across a
daylight-saving change. Stdlib only: croniter would cost ~85 ms of import (and python-dateutil)
on every `lakeconsole check` and `status`; this module imports in about a millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cached_property

ACCEPTED_FORMS = (
    "Daily",
    "Daily at 8 AM",
    "Hourly",
    "Every 15 minutes",
    "Every 2 hours",
    "Every Monday",
    "Every Monday at 7:30",
    "Weekdays at 6 PM",
    "a cron expression such as 0 8 * * 1-5",
)
FORMS_TEXT = (
    ", ".join(f'"{f}"' for f in ACCEPTED_FORMS[:-1])
    + f" or {ACCEPTED_FORMS[-1]}; add UTC or a zone name (Europe/Paris) for a time that is not "
    "the machine's local time"
)
# Four years and a day: a schedule on 29 February is due at least once in that span.
SEARCH_DAYS = 4 * 366 + 1

DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?s?"
_TIME = r"(?:noon|midnight|\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)"
_AT = rf"(?:\s+at\s+(?P<time>{_TIME}))?"
_PHRASES = (
    ("daily", re.compile(rf"^(?:daily|every\s+day){_AT}$")),
    ("hourly", re.compile(r"^(?:hourly|every\s+hour)$")),
    ("minutes", re.compile(r"^every\s+(?P<n>\d+)\s+(?:minutes?|mins?)$")),
    ("hours", re.compile(r"^every\s+(?P<n>\d+)\s+(?:hours?|hrs?)$")),
    ("weekdays", re.compile(rf"^(?:every\s+)?(?:weekdays?|working\s+days?){_AT}$")),
    (
        "days",
        re.compile(
            rf"^(?:every|weekly\s+on|on)\s+(?P<days>{_DAY}(?:\s*(?:,|and|&)\s*{_DAY})*){_AT}$"
        ),
    ),
)
_CRON_FIELD = re.compile(r"^[0-9a-z*,/-]+$")
_ZONE_NAME = re.compile(r"^[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+$")


class ScheduleError(ValueError):
    """A Refresh Rate that cannot be read as a schedule; the message names the accepted forms."""


@dataclass(frozen=True)
class Schedule:
    """When a mart is due: the sets of a cron expression, read in one zone (None: local)."""

    text: str  # as the README says it, after the clean-up
    cron: str  # the same as five cron fields, e.g. "0 8 * * *"
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # day of the month, 1..31
    months: frozenset[int]  # 1..12
    weekdays: frozenset[int]  # 0 Sunday .. 6 Saturday, as cron counts them
    either_day: bool  # day of month and day of week both restricted: either one matches (cron)
    zone: str | None = None  # an IANA name or UTC; None: the machine's local zone

    @cached_property
    def _tz(self) -> tzinfo | None:
        if self.zone is None:
            return None
        if self.zone == "UTC":
            return UTC
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.zone)

    @property
    def zone_label(self) -> str:
        return self.zone or "local time"

    def next_due(self, after: float) -> float:
        """The first due time strictly after `after` (epoch seconds)."""
        day = self._wall(after).date() - timedelta(days=1)  # a day's margin for DST shifts
        for _ in range(SEARCH_DAYS + 2):
            for wall in self._times(day):
                at = self._stamp(wall)
                if at > after:
                    return at
            day += timedelta(days=1)
        raise ScheduleError(f"'{self.text}' is never due (no such date)")

    def previous_due(self, at_or_before: float) -> float:
        """The latest due time at or before `at_or_before` (epoch seconds)."""
        day = self._wall(at_or_before).date() + timedelta(days=1)
        for _ in range(SEARCH_DAYS + 2):
            for wall in reversed(self._times(day)):
                at = self._stamp(wall)
                if at <= at_or_before:
                    return at
            day -= timedelta(days=1)
        raise ScheduleError(f"'{self.text}' is never due (no such date)")

    def _times(self, day: date) -> list[datetime]:
        """The due wall-clock times of `day`, in order; [] when the day does not match."""
        if day.month not in self.months:
            return []
        in_month = day.day in self.days
        in_week = (day.weekday() + 1) % 7 in self.weekdays
        if not (in_month or in_week if self.either_day else in_month and in_week):
            return []
        start = datetime(day.year, day.month, day.day)
        return [
            start.replace(hour=h, minute=m)
            for h in sorted(self.hours)
            for m in sorted(self.minutes)
        ]

    def _stamp(self, wall: datetime) -> float:
        # A wall time in a spring-forward gap counts as the moment after the gap; in the
        # repeated hour of a fall-back, the first of the two.
        return wall.replace(tzinfo=self._tz).timestamp() if self._tz else wall.timestamp()

    def _wall(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, self._tz).replace(tzinfo=None)


def parse_schedule(text: str) -> Schedule:
    """The schedule a Refresh Rate section states in its first line. ScheduleError, naming the
    accepted forms, when it cannot be read."""
    line = schedule_line(text)
    if not line:
        raise ScheduleError(f"Refresh Rate is empty: write one of {FORMS_TEXT}")
    words, zone = _split_zone(line)
    cron = _phrase_to_cron(words.lower()) or _cron_or_none(words)
    if cron is None:
        raise ScheduleError(
            f"Refresh Rate '{line}' is not a schedule lakeconsole can read: use {FORMS_TEXT}"
        )
    schedule = _from_cron(line, cron, zone)
    schedule.next_due(0.0)  # a date that never comes ("0 0 30 2 *") is refused here
    return schedule


def schedule_line(text: str) -> str:
    """The first line of a section's text with comments, Markdown marks, parentheses and any
    trailing clause (after ';', ' - ', ' — ') taken off: the part that states the schedule."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:[-*+]\s+|>\s*)", "", line)
    line = re.sub(r"\([^)]*\)", " ", line.replace("`", "").replace("**", "").replace("__", ""))
    line = re.split(r";|\s[-–—]\s", line)[0]
    return " ".join(line.split()).rstrip(".:,").strip()


def _split_zone(line: str) -> tuple[str, str | None]:
    """('Daily at 8 AM', 'UTC') from 'Daily at 8 AM UTC'; an unknown zone name is an error."""
    *head, last = line.split() if line.split() else [""]
    if last.upper() in ("UTC", "GMT", "Z"):
        return " ".join(head), "UTC"
    if _ZONE_NAME.match(last):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(last)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(
                f"Refresh Rate '{line}': '{last}' is not a time zone this machine knows; use "
                "UTC or an IANA name such as Europe/Paris (pip install tzdata where there is "
                "no /usr/share/zoneinfo)"
            ) from None
        return " ".join(head), last
    return line, None


def _phrase_to_cron(words: str) -> str | None:
    for kind, pattern in _PHRASES:
        match = pattern.match(words)
        if match is None:
            continue
        if kind == "hourly":
            return "0 * * * *"
        if kind in ("minutes", "hours"):
            return _every(kind, int(match["n"]))
        hour, minute = _clock(match["time"]) if match["time"] else (0, 0)
        if kind == "daily":
            return f"{minute} {hour} * * *"
        if kind == "weekdays":
            return f"{minute} {hour} * * 1-5"
        days = sorted({_day_number(d) for d in re.split(r"\s*(?:,|and|&)\s*", match["days"])})
        return f"{minute} {hour} * * {','.join(map(str, days))}"
    return None


def _every(unit: str, n: int) -> str:
    top = 60 if unit == "minutes" else 24
    if not 1 <= n < top or top % n:
        raise ScheduleError(
            f"Refresh Rate 'every {n} {unit}': use a number that divides {top} evenly "
            f"(e.g. every 15 minutes, every 6 hours), or a cron expression"
        )
    return f"*/{n} * * * *" if unit == "minutes" else f"0 */{n} * * *"


def _clock(text: str) -> tuple[int, int]:
    """(hour, minute) of '8 AM', '8:30pm', '20:15', 'noon', 'midnight'."""
    text = text.replace(".", "").replace(" ", "")
    if text in ("noon", "midnight"):
        return (12, 0) if text == "noon" else (0, 0)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?([ap]m)?", text)
    if match is None:
        raise ScheduleError(f"'{text}' is not a time of day: write 8 AM, 8:30 PM or 20:30")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"'{text}': with AM/PM the hour is 1 to 12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"'{text}' is not a time of day: hours 0-23, minutes 0-59")
    return hour, minute


def _day_number(name: str) -> int:
    return next(n for n, day in enumerate(DAY_NAMES) if name.startswith(day[:3]))


def _cron_or_none(words: str) -> str | None:
    fields = words.lower().split()
    if len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields):
        return " ".join(fields)
    return None


_RANGES = {
    "minute": (0, 59, ()),
    "hour": (0, 23, ()),
    "day of month": (1, 31, ()),
    "month": (1, 12, MONTH_NAMES),
    "day of week": (0, 7, tuple(d[:3] for d in DAY_NAMES)),
}


def _from_cron(text: str, cron: str, zone: str | None) -> Schedule:
    fields = cron.split()
    sets = [_cron_set(f, name, *_RANGES[name]) for f, name in zip(fields, _RANGES, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])  # 7 is Sunday too
    either = fields[2] != "*" and fields[4] != "*"
    return Schedule(text, cron, sets[0], sets[1], sets[2], sets[3], weekdays, either, zone)


def _cron_set(field: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    """The values of one cron field: '*', '5', '1-5', '*/15', '0-30/10', 'mon-fri', lists."""
    out: set[int] = set()
    for part in field.split(","):
        spec, _, step_text = part.partition("/")
        step = _cron_number(step_text, name, 1, high, ()) if step_text else 1
        if spec == "*":
            first, last = low, high
        elif "-" in spec:
            a, _, b = spec.partition("-")
            first, last = (
                _cron_number(a, name, low, high, names),
                _cron_number(b, name, low, high, names),
            )
        else:
            first = _cron_number(spec, name, low, high, names)
            last = high if step_text else first
        if first > last:
            raise ScheduleError(f"cron {name} '{part}': the range runs backwards")
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _cron_number(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text[:3] in names and text.isalpha():
        return names.index(text[:3]) + (1 if name == "month" else 0)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ScheduleError(
            f"cron {name} '{text}' is out of range {low}-{high}: a cron expression is "
            "minute hour day-of-month month day-of-week, e.g. 0 8 * * 1-5"
        )
    return int(text)
