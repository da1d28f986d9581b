"""Incidents: what is wrong now, remembered between runs so that each one alerts once.

A condition (a failed step, an overdue backup...) opens an incident the first time it is seen:
that is when an alert goes out. While it stays, runs say nothing more (a cron job failing every
hour sends one alert, not 24). When an evaluation that can judge it finds it gone, the incident
closes with one "resolved" alert. A target that could not be reached gets the alert at the next
evaluation. Kept in `_lakeconsole/alerts.json` in the engine's state folder (core.storage
state_home: the bucket's for a lake in a bucket), replaced whole in one step (a temporary file
and a rename locally, one PUT in a bucket): a crash leaves the old state or the new. Written
under the lake's lock (a run, `alerts check`), so two evaluations never race."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakeconsole.core.alerts.targets import Target
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, StorageError, read_optional, state_home, write_whole

log = logging.getLogger("lakeconsole.alerts")

STATE_FILE = "alerts.json"


@dataclass(frozen=True)
class Condition:
    """Something wrong, as one evaluation sees it. `key` names the incident it belongs to."""

    key: str  # e.g. "step-failed:silver_orders", "upkeep:backup"
    kind: str  # "step_failed", "vacuum_overdue", "backup_overdue", "latency_creep", ...
    title: str  # a few words: "silver_orders failed"
    message: str  # the line a person acts on, with the fix


@dataclass
class Incident:
    key: str
    kind: str
    title: str
    message: str
    since: float
    run_id: str | None = None
    delivered: list[str] = field(default_factory=list)  # target names the open alert reached


@dataclass(frozen=True)
class Delivery:
    """One alert sent to one target: `problem` is None when it arrived."""

    incident: str
    state: str  # "open", "resolved", "test"
    target: str
    problem: str | None


def state_path(settings: Settings) -> LakePath:
    return state_home(settings) / STATE_FILE


def load_incidents(settings: Settings) -> dict[str, Incident]:
    """The open incidents; a missing or damaged file is none (said once in the log): the worst
    case is one alert sent again. StorageError when the bucket cannot be read at all."""
    path = state_path(settings)
    try:
        data = read_optional(path)
        if data is None:
            return {}
        held = json.loads(data.decode("utf-8"))
        return {k: Incident(**v) for k, v in held["open"].items()}
    except StorageError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s is not an alert state lakeconsole wrote (%s): started afresh", path, exc)
        return {}


def save_incidents(settings: Settings, incidents: dict[str, Incident]) -> None:
    held = {"open": {k: asdict(v) for k, v in incidents.items()}}
    write_whole(state_path(settings), json.dumps(held, indent=1).encode("utf-8"))


def alert_body(settings: Settings, incident: Incident, state: str, now: float) -> dict[str, Any]:
    """The JSON every target receives (documented in README, 'Alerts')."""
    return {
        "source": "lakeconsole",
        "state": state,
        "incident": incident.key,
        "kind": incident.kind,
        "title": incident.title if state != "resolved" else f"resolved: {incident.title}",
        "message": incident.message,
        "since": _iso(incident.since),
        "at": _iso(now),
        "run_id": incident.run_id,
        "project": str(settings.home),
        "lake": settings.lake_name,
    }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def evaluate(
    settings: Settings,
    targets: list[Target],
    found: Iterable[Condition],
    judged: Callable[[str], bool],
    *,
    run_id: str | None = None,
    now: float | None = None,
) -> list[Delivery]:
    """Open an incident for each condition not open yet and alert it; close each open incident
    this evaluation can judge (`judged(key)`) that it no longer finds, with a resolved alert;
    retry open alerts a target missed. Returns every delivery tried."""
    now = time.time() if now is None else now
    incidents = load_incidents(settings)
    now_found = {c.key: c for c in found}
    sent: list[Delivery] = []
    for key, c in now_found.items():
        if key not in incidents:
            incidents[key] = Incident(key, c.kind, c.title, c.message, now, run_id)
    for key in [k for k in incidents if k not in now_found and judged(k)]:
        closed = incidents.pop(key)
        if closed.delivered:  # never told: nothing to take back
            sent += _send(settings, targets, closed, "resolved", now, closed.delivered)
    for incident in incidents.values():
        missed = [t.name for t in targets if t.name not in incident.delivered]
        for d in _send(settings, targets, incident, "open", now, missed):
            if d.problem is None:
                incident.delivered.append(d.target)
            sent.append(d)
    save_incidents(settings, incidents)
    return sent


def _send(
    settings: Settings,
    targets: list[Target],
    incident: Incident,
    state: str,
    now: float,
    names: list[str],
) -> list[Delivery]:
    body = alert_body(settings, incident, state, now)
    out = []
    for target in (t for t in targets if t.name in names):
        problem = target.send(body)
        if problem:
            log.warning(
                "alert %s (%s) not delivered to %s: %s", incident.key, state, target.name, problem
            )
        else:
            log.info("alert %s (%s) sent to %s", incident.key, state, target.name)
        out.append(Delivery(incident.key, state, target.name, problem))
    return out


def open_incidents_item(settings: Settings) -> list[Any]:
    """The dashboard's alerts line: the incidents open now (each alerted once), as an upkeep
    item dated by the oldest; [] when none is open. Reads alerts.json: call it in a worker."""
    from lakeconsole.core.upkeep import UpkeepItem

    held = sorted(load_incidents(settings).values(), key=lambda i: i.since)
    if not held:
        return []
    titles = ", ".join(i.title for i in held)
    detail = f"{len(held)} open (`lakeconsole alerts`): {titles}"
    return [UpkeepItem("alerts", held[0].since, True, detail)]
