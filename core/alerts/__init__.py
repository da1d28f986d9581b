"""Alerts: a failed step, a failed quality threshold, a stale mart, an overdue vacuum or backup,
latency creep, sent once per incident to the targets the settings name (ALERT_COMMAND,
ALERT_WEBHOOK_URL, ALERT_DESKTOP).

Evaluated at the end of every run (under its lock, so two runs never race on the state) and by
`lakeconsole alerts check` (cron, between runs). With no target set nothing is read: a run pays
nothing for alerts it does not send. A failing target is logged and retried at the next
evaluation; it never fails the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeconsole.core.settings import Settings

# Nothing imported here: the run path asks `alerts_configured` on every run, alerts or not.
ALERT_SETTINGS = ("ALERT_COMMAND", "ALERT_WEBHOOK_URL", "ALERT_DESKTOP")
OFF = ("", "0", "false", "no", "off")


def alerts_configured(settings: Settings) -> bool:
    """Whether any target is set (a run without alerts imports nothing more). A wrong value
    counts as set: the evaluation then says what is wrong with it."""
    return any(settings.raw.get(k, "").strip().lower() not in OFF for k in ALERT_SETTINGS)
