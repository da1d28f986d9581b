"""`lakeconsole alerts`: where alerts go, the incidents open now, a test alert, a check for cron."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from lakeconsole.cli.lake_use import LakeUse, on_object_storage
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, REFUSED, USAGE
from lakeconsole.core.settings import Settings, SettingsError
from lakeconsole.core.units import ago

if TYPE_CHECKING:
    from lakeconsole.core.alerts.incidents import Delivery
    from lakeconsole.core.alerts.targets import Target

COMMAND = "alerts"
ORDER = 32
HELP = "alert targets and open incidents; send a test alert; check upkeep and freshness (cron)"
DESCRIPTION = """\
Alerts go to the targets set in .env (any of them, or none: alerts off):
  ALERT_COMMAND      a command run with the alert as JSON on its stdin
  ALERT_WEBHOOK_URL  an http(s) URL that receives the alert as a JSON POST (Slack, Teams, ...)
  ALERT_DESKTOP      true: a desktop notification (notify-send on Linux, macOS notifications)
They fire once per incident: a failed step, a stale mart, an overdue vacuum or backup, latency
creep. A run failing every hour sends one alert, and one "resolved" when that step succeeds.
Every run evaluates them at its end; a target that fails is logged and never fails the run.

  lakeconsole alerts            the targets and the incidents open now
  lakeconsole alerts test       send a test alert to every target (exit 1 if one fails)
  lakeconsole alerts check      upkeep and freshness now, alert what is new (cron)"""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE, REFUSED)}
examples:
  lakeconsole alerts test
  echo 'ALERT_WEBHOOK_URL=https://hooks.example.com/T0/B0/xyz' >> .env
  lakeconsole alerts --json | jq '.open[].title'"""

READ_ONLY_FORMS = ("alerts list", "alerts test")
object_storage = on_object_storage  # the incidents in the bucket's _lakeconsole/alerts.json


def lake_use(args: argparse.Namespace) -> LakeUse:
    return "writes" if args.action == "check" else "reads"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="?",
        choices=("list", "test", "check"),
        default="list",
        help="list (default), test or check",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.alerts.targets import alert_targets

    no_color = "NO_COLOR" in settings.raw
    try:
        targets = alert_targets(settings)
    except SettingsError as exc:
        error(f"✗ {exc}", no_color)
        return USAGE
    if args.action == "list":
        return _list(settings, targets, args.json)
    if not targets:
        error(
            "✗ No alert target set: add ALERT_WEBHOOK_URL, ALERT_COMMAND or ALERT_DESKTOP=true "
            "to .env (see .env.template)",
            no_color,
        )
        return USAGE
    if args.action == "test":
        from lakeconsole.core.alerts.evaluation import send_test

        return _report(send_test(settings, targets), args.json, no_color)
    return _check(settings, targets, args.json, no_color)


def _list(settings: Settings, targets: list[Target], as_json: bool) -> int:
    from lakeconsole.core.alerts.incidents import load_incidents

    incidents = load_incidents(settings)
    if as_json:
        print_json(
            {
                "targets": [t.name for t in targets],
                "open": [
                    {
                        "incident": i.key,
                        "kind": i.kind,
                        "title": i.title,
                        "since": i.since,
                        "message": i.message,
                        "delivered_to": i.delivered,
                    }
                    for i in incidents.values()
                ],
            }
        )
        return OK
    print("targets: " + (", ".join(t.name for t in targets) or "none (alerts are off)"))
    if not incidents:
        print("no open incidents")
        return OK
    now = time.time()
    rows = [
        [i.title, ago(now - i.since), ", ".join(i.delivered) or "not yet", i.message[:70]]
        for i in incidents.values()
    ]
    print(table(rows, ["open incident", "since", "told", "what"]))
    return OK


def _check(settings: Settings, targets: list[Target], as_json: bool, no_color: bool) -> int:
    from lakeconsole.core.alerts.evaluation import check_now
    from lakeconsole.core.lock import RunLocked, lake_lock
    from lakeconsole.core.runner import describe_error

    try:
        with lake_lock(settings, "lakeconsole alerts check"):
            sent = check_now(settings, targets)
    except RunLocked as exc:
        error(f"✗ alerts check refused: {describe_error(exc)}", no_color)
        return REFUSED
    return _report(sent, as_json, no_color)


def _report(sent: list[Delivery], as_json: bool, no_color: bool) -> int:
    if as_json:
        print_json(
            [
                {"incident": d.incident, "state": d.state, "target": d.target, "problem": d.problem}
                for d in sent
            ]
        )
    elif not sent:
        print("nothing new to alert")
    for d in sent if not as_json else []:
        if d.problem is None:
            print(f"✓ {d.state} {d.incident} → {d.target}")
        else:
            error(f"✗ {d.state} {d.incident} → {d.target}: {d.problem}", no_color)
    return FAILED if any(d.problem for d in sent) else OK
