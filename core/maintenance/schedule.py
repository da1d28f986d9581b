"""Scheduled upkeep (`lakeconsole maintain`): do what is due, say what was done.

Due means: tables not vacuumed for VACUUM_INTERVAL_DAYS (OPS-03), and the weekly backup
(OPS-07). The latency watch and retention
flags are reported, never acted on: optimizing is a choice the user makes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from lakeconsole.core.maintenance.status import latency_status, table_upkeep, vacuum_status
from lakeconsole.core.maintenance.tables import MIN_RETENTION_HOURS
from lakeconsole.core.maintenance.vacuum import VacuumResult, plan_tables, vacuum_tables
from lakeconsole.core.runner import describe_error
from lakeconsole.core.settings import Settings
from lakeconsole.core.units import human_bytes


@dataclass
class MaintenanceReport:
    """What `maintain` did, what it found, and what went wrong."""

    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings worth reading, not failures
    errors: list[str] = field(default_factory=list)
    vacuumed: list[VacuumResult] = field(default_factory=list)
    locked: bool = False  # a pipeline run held the lake's lock

    @property
    def ok(self) -> bool:
        return not self.errors

    def heartbeat(self) -> str:
        """`✓ Maintenance Finished: …` or `✗ Maintenance Failed: …` (OPS-09 style)."""
        if self.errors:
            return "✗ Maintenance Failed: " + "; ".join(self.errors)
        return "✓ Maintenance Finished: " + ("; ".join(self.done) or "nothing was due")


def _backup_if_due(
    settings: Settings, report: MaintenanceReport, dry_run: bool, cancel: threading.Event | None
) -> None:
    from lakeconsole.core.backup import backup_due, run_backup

    if not backup_due(settings):
        report.done.append("backup not due")
        return
    if not settings.backup_target:
        report.errors.append(
            "backup due but BACKUP_TARGET is not set: set it in .env, or use --skip-backup (OPS-07)"
        )
        return
    if dry_run:
        report.done.append("backup due (dry run: not started)")
        return
    try:
        result = run_backup(settings, cancel_event=cancel)
    except Exception as exc:  # the backup area's errors carry their fix
        report.errors.append(f"backup: {describe_error(exc)}")
        return
    report.done.append(f"backup {result.summary()}")


def run_maintenance(
    settings: Settings,
    *,
    dry_run: bool = False,
    backup: bool = True,
    now: float | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> MaintenanceReport:
    """Vacuum the overdue tables, back up if due, and report latency creep and retention flags."""
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.maintenance.vacuum import VacuumRefused

    report = MaintenanceReport()
    try:
        due = [t.path for t in table_upkeep(settings, now) if t.overdue]
    except Exception as exc:  # e.g. the lake folder cannot be read
        report.errors.append(f"cannot read the lake: {describe_error(exc)}")
        return report
    if not due:
        report.done.append("vacuum not due")
    else:
        try:
            plans = plan_tables(due, settings, now=now)
            if dry_run:
                files = sum(len(p.files) for p in plans)
                report.done.append(
                    f"vacuum due on {len(plans)} table(s) ({files} file(s); dry run)"
                )
            else:
                results = vacuum_tables(plans, settings, progress=progress, cancel=cancel, now=now)
                report.vacuumed = results
                report.done.append(
                    f"vacuumed {len(results)} table(s), {sum(r.files for r in results)} file(s), "
                    f"{human_bytes(sum(r.bytes for r in results))}"
                )
                if len(results) < len(plans):
                    report.errors.append(f"cancelled: {len(plans) - len(results)} table(s) left")
        except VacuumRefused:
            report.errors.append(
                f"VACUUM refused: VACUUM_RETENTION_HOURS={settings.vacuum_retention_hours} is "
                f"below the {MIN_RETENTION_HOURS} h minimum (OPS-03) and maintain never forces. "
                f"Set it to {MIN_RETENTION_HOURS} or more in .env"
            )
        except RunLocked as exc:
            report.locked = True
            report.errors.append(str(exc))
        except Exception as exc:  # delta-rs: one line here, the traceback in app.log
            import logging

            logging.getLogger("lakeconsole.maintenance").exception("scheduled vacuum failed")
            report.errors.append(f"vacuum: {describe_error(exc)}")
    if backup and not report.errors:
        _backup_if_due(settings, report, dry_run, cancel)
    elif not backup:
        report.done.append("backup skipped (--skip-backup)")
    try:
        items = [*vacuum_status(settings, now), *latency_status(settings)]
    except Exception as exc:  # the notes are extras: never let them fail the upkeep
        items = []
        report.notes.append(f"could not check retention and latency: {describe_error(exc)}")
    report.notes += [f"{i.name}: {i.detail}" for i in items if i.name != "vacuum" and i.overdue]
    return report
