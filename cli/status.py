"""`lakeconsole status`: is each mart fresh by its README's Refresh Rate, and each step with it."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import GREEN, RED, paint, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.marts.freshness import Freshness
    from lakeconsole.core.marts.schedule import Schedule

COMMAND = "status"
ORDER = 12
HELP = "is each mart fresh? one line per mart and per step (exit 1 when anything is stale)"
DESCRIPTION = """\
One line per gold mart and per pipeline step: fresh, or stale since when; the last refresh
(the last successful run of the step that writes the mart's tables) and when it is next due.

A mart's schedule is the first line of its README's `## Refresh Rate`: "Daily", "Daily at
8 AM", "Hourly", "Every 15 minutes", "Every 2 hours", "Every Monday [at 7:30]", "Weekdays at
6 PM", or a cron expression (0 8 * * 1-5). Times are the machine's local time unless the line
names a zone ("Daily at 8 AM UTC", "... Europe/Paris"). A mart is stale when a due time passed
FRESHNESS_GRACE_MINUTES ago (default 60) and no run has refreshed it since. A step is stale
when a mart it feeds is due and the step has not succeeded since; steps also show their last
failure. A Refresh Rate that is not a schedule shows as unreadable (`lakeconsole check`
reports it)."""
EPILOG = f"""\
exit status: 0 when every mart and step is fresh, 1 when anything is stale.
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole status
  lakeconsole status --json | jq '.marts[] | select(.state == "stale") | .mart'"""

lake_use = reads_only
object_storage = on_object_storage  # run records in the bucket, READMEs in the project


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        help="print {ok, marts: [{mart, state, last_success, next_due, stale_since, ...}], steps}",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.marts.freshness import lake_freshness

    found = lake_freshness(settings)
    code = FAILED if found.stale else OK
    if args.json:
        print_json(found.as_dict())
        return code
    for problem in found.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(status_text(found, "NO_COLOR" in settings.raw))
    return code


def status_text(found: Freshness, no_color: bool = True) -> str:
    """The marts' table, then the steps' table, then one line: all fresh or how many are stale."""
    from lakeconsole.core.marts.freshness import state_text as _state
    from lakeconsole.core.marts.freshness import when_text as _when

    now = found.now
    if found.marts:
        rows = [
            [
                m.mart,
                _state(m.state, m.stale_since, now),
                _when(m.last_success, now),
                _when(m.next_due, None),
                m.problem or _rate(m.refresh_rate, m.schedule),
            ]
            for m in found.marts
        ]
        marts = table(rows, ["mart", "state", "last refresh", "due", "refresh rate"])
    else:
        marts = "No marts yet (folders under gold/): run the pipeline (lakeconsole run)"
    rows = [
        [
            s.step,
            _state(s.state, s.stale_since, now),
            _when(s.last_success, now),
            _when(s.last_failure, None),
            _when(s.next_due, None),
            ", ".join(s.marts) or "-",
        ]
        for s in found.steps
    ]
    headers = ["step", "state", "last success", "last failure", "due", "feeds"]
    steps = table(rows, headers) if rows else "No steps: the pipeline does not load"
    stale = [m.mart for m in found.marts if m.stale] + [s.step for s in found.steps if s.stale]
    if stale:
        last = paint(f"✗ stale: {', '.join(stale)}", RED, sys.stdout, no_color)
    else:
        last = paint("✓ every mart and step is fresh", GREEN, sys.stdout, no_color)
    grace = f"(grace {found.grace_s / 60:g} min, FRESHNESS_GRACE_MINUTES)"
    return f"{marts}\n\n{steps}\n\n{last} {grace}"


def _rate(line: str, schedule: Schedule | None) -> str:
    if schedule is None:
        return line or "- (no Refresh Rate)"
    return f"{line} ({schedule.zone_label})" if schedule.zone is None else line
