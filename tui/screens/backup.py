"""The backup view (OPS-07): target, last backup / verify / drill, overdue state, the snapshots,
a cancellable backup with a progress bar, verify, restore drill, and restore with a confirmation.

Every target call runs in a thread worker that posts messages; widgets are touched only here."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from lakeconsole.core.backup.model import BackupProgress
from lakeconsole.core.settings import Settings
from lakeconsole.core.units import human_bytes
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.messages import LakeSwapped
from lakeconsole.tui.screens.view import ConsoleView

PROGRESS_EVERY_S = 0.1  # enough for a smooth bar without flooding the message queue


@dataclass(frozen=True)
class Overview:
    target: str
    status: dict[str, Any]
    overdue: bool
    detail: str
    snapshots: list[Any] = field(default_factory=list)  # core.backup.SnapshotInfo
    snapshots_error: str = ""
    tracked: list[str] = field(default_factory=list)


class OverviewLoaded(Message):
    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview


class WorkProgress(Message):
    def __init__(self, progress: BackupProgress) -> None:
        super().__init__()
        self.progress = progress


class WorkFinished(Message):
    def __init__(self, text: str, ok: bool, error: str = "") -> None:
        super().__init__()
        self.text, self.ok, self.error = text, ok, error


class BackupScreen(ConsoleView):
    """Backups of the lake: what there is, and the actions on it."""

    CSS_PATH = "backup.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("B", "backup", "Back up now", id="backup.back-up", tooltip="Back up the lake now"),
        Binding("k", "verify", "Verify", id="backup.verify", tooltip="Verify the newest snapshot"),
        Binding(
            "D",
            "drill",
            "Drill",
            id="backup.drill",
            tooltip="Restore drill into a temp folder",
        ),
        Binding(
            "R",
            "restore",
            "Restore…",
            id="backup.restore",
            tooltip="Restore the selected snapshot…",
        ),
        Binding("x", "cancel_work", "Stop", id="backup.stop", tooltip="Stop the running task"),
        Binding("escape", "back", "Back", id="backup.back", tooltip="Back to the dashboard"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.cancel = threading.Event()
        self.busy = False
        self.snapshots: list[Any] = []
        self._last_post = 0.0
        self._last_phase = ""
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield Label("Backup (OPS-07: the lake to cold storage, weekly)", id="backup-title")
        yield Static("loading…", id="backup-summary", markup=False)
        yield Static("", id="backup-git", markup=False)
        yield DataTable(id="backup-snapshots", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="backup-controls"):
            yield ProgressBar(id="backup-progress", show_eta=False)
        yield Static("", id="backup-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#backup-snapshots", DataTable)
        table.add_columns("Snapshot", "Taken", "Tables", "Files", "Size")
        self.query_one("#backup-progress", ProgressBar).display = False  # no task yet
        self.load_overview()

    # --- loading -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-load")
    def load_overview(self) -> None:
        from lakeconsole.core.backup import BackupError, backup_status, list_snapshots, read_status
        from lakeconsole.core.governance import tracked_data

        [item] = backup_status(self.settings)
        snapshots: list[Any] = []
        problem = ""
        if self.settings.backup_target:
            try:
                snapshots = list_snapshots(self.settings)
            except BackupError as exc:
                problem = str(exc)
        self.post_message(
            OverviewLoaded(
                Overview(
                    self.settings.backup_target,
                    read_status(self.settings),
                    item.overdue,
                    item.detail,
                    snapshots,
                    problem,
                    tracked_data(self.settings),
                )
            )
        )

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        o = message.overview
        summary = self.query_one("#backup-summary", Static)
        summary.update("\n".join(summary_lines(o, key_of(self, "drill"))))
        summary.set_class(o.overdue, "-overdue")
        git = self.query_one("#backup-git", Static)
        git.update(
            f"⚠ git tracks data/logs/.env files (OPS-07): {', '.join(o.tracked[:4])}"
            f"{' …' if len(o.tracked) > 4 else ''} — run `git rm --cached` on them"
            if o.tracked
            else ""
        )
        git.display = bool(o.tracked)
        self.snapshots = list(reversed(o.snapshots))  # newest first
        table = self.query_one("#backup-snapshots", DataTable)
        table.clear()
        for s in self.snapshots:
            table.add_row(
                s.snapshot,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at)),
                str(len(s.tables)),
                str(s.files),
                human_bytes(s.bytes),
                key=s.snapshot,
            )
        if not self.busy and not self._status_text:
            self._status(o.snapshots_error or f"{len(o.snapshots)} snapshot(s)")

    # --- actions -------------------------------------------------------------------------
    def _can_start(self) -> bool:
        if self.busy:
            self.notify("A backup task is already running (x stops it)", severity="warning")
            return False
        if not self.settings.backup_target:
            self.notify(
                "Set BACKUP_TARGET in .env first (a folder, rclone:REMOTE:path or s3://…)",
                severity="error",
            )
            return False
        return True

    def action_backup(self) -> None:
        if self._can_start():
            self._start("backing up…")
            self.run_task("backup")

    def action_verify(self) -> None:
        if self._can_start():
            self._start("verifying the newest snapshot…")
            self.run_task("verify")

    def action_drill(self) -> None:
        if self._can_start():
            self._start("restore drill…")
            self.run_task("drill")

    def action_restore(self) -> None:
        if not self._can_start():
            return
        snapshot = self._selected()
        if snapshot is None:
            self.notify("No snapshot to restore yet", severity="warning")
            return
        if self.settings.on_object_storage:
            # Object storage has no rename: a restore goes only into an empty prefix, never
            # over this lake. Core refuses before writing anything and its one line says what
            # to do instead (restore beside it, then repoint); a confirmation would ask for
            # something that cannot happen.
            self._start(f"restoring {snapshot.snapshot}…")
            self.run_task("restore", snapshot.snapshot)
            return
        from lakeconsole.tui.modals import ConfirmScreen

        lake = self.settings.data_dir
        question = (
            f"Restore snapshot {snapshot.snapshot} ({len(snapshot.tables)} tables, "
            f"{snapshot.files} files, {human_bytes(snapshot.bytes)}) "
            f"from {self.settings.backup_target} into {lake}.\n\n"
            f"The current lake is moved to {lake.name}.before-restore-<time> beside it (nothing is "
            "deleted); every table goes back to its version in the snapshot. Refused while a "
            "pipeline run is going."
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._start(f"restoring {snapshot.snapshot}…")
                self.run_task("restore", snapshot.snapshot)
            else:
                self._status("restore cancelled: nothing changed")

        self.app.push_screen(
            ConfirmScreen(question, title="Restore the lake?", confirm="Restore", danger=True),
            confirmed,
        )

    def _selected(self) -> Any:
        table = self.query_one("#backup-snapshots", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.snapshots if s.snapshot == key), None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-work")
    def run_task(self, task: str, snapshot: str | None = None) -> None:
        from lakeconsole.core.backup import (
            BackupError,
            RestoreRefused,
            restore_drill,
            restore_snapshot,
            run_backup,
            verify_snapshot,
        )

        try:
            if task == "backup":
                result = run_backup(
                    self.settings, on_progress=self._progress, cancel_event=self.cancel
                )
                self.post_message(WorkFinished(f"✓ {result.summary()}", True))
            elif task == "verify":
                v = verify_snapshot(
                    self.settings, on_progress=self._progress, cancel_event=self.cancel
                )
                text = (
                    f"✓ snapshot {v.snapshot}: {v.checked} files match their checksums"
                    if v.ok
                    else f"✗ snapshot {v.snapshot}: " + "; ".join(v.problems[:3])
                )
                self.post_message(WorkFinished(text, v.ok))
            elif task == "drill":
                d = restore_drill(
                    self.settings, on_progress=self._progress, cancel_event=self.cancel
                )
                text = (
                    f"✓ restore drill passed: {d.snapshot}, {len(d.tables)} tables compared"
                    if d.ok
                    else "✗ restore drill failed: " + "; ".join(d.problems[:3])
                )
                self.post_message(WorkFinished(text, d.ok))
            else:
                r = restore_snapshot(
                    self.settings,
                    snapshot=snapshot,
                    # --force moves a local lake aside; nothing can be moved in a bucket.
                    force=not self.settings.on_object_storage,
                    on_progress=self._progress,
                    cancel_event=self.cancel,
                )
                # The lake at the data folder is another one now: the console re-points its
                # panels and watchers (the message bubbles up to the app).
                self.post_message(LakeSwapped(self.settings.lake_root))
                aside = f"; the old lake is in {r.moved_aside}" if r.moved_aside else ""
                self.post_message(
                    WorkFinished(f"✓ restored {r.snapshot}: {r.files} files{aside}", True)
                )
        except BackupError as exc:
            if isinstance(exc, RestoreRefused) and self.settings.on_object_storage:
                # Refused before anything was written, as it always is over a lake in a
                # bucket: what to do instead goes in the status line, not a "failed" dialog.
                self.post_message(WorkFinished(f"✗ {exc}", False))
                return
            self.post_message(WorkFinished(f"✗ {exc}", False, error=str(exc)))

    def _progress(self, progress: BackupProgress) -> None:
        # Thread side: no widget touched; throttled, but every phase change gets through.
        now = time.monotonic()
        if progress.phase == self._last_phase and now - self._last_post < PROGRESS_EVERY_S:
            return
        self._last_post, self._last_phase = now, progress.phase
        self.post_message(WorkProgress(progress))

    def _start(self, text: str) -> None:
        self.busy = True
        self.cancel.clear()
        self._last_phase = ""
        bar = self.query_one("#backup-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True  # shown while a task runs, as the maintenance view's
        self._status(text)

    def on_work_progress(self, message: WorkProgress) -> None:
        if not self.busy:
            return
        p = message.progress
        bar = self.query_one("#backup-progress", ProgressBar)
        if p.total:
            bar.update(total=p.total, progress=min(p.done, p.total))
            amount = (
                f"{human_bytes(p.done)} of {human_bytes(p.total)}"
                if p.unit == "bytes"
                else f"{p.done} of {p.total} {p.unit}"
            )
            self._status(f"{p.phase}: {amount} {p.message}".rstrip())
        else:
            bar.update(total=None)
            self._status(f"{p.phase}: {p.message}".rstrip(": "))

    def on_work_finished(self, message: WorkFinished) -> None:
        self.busy = False
        # The status line says how it ended; an idle bar at 0% or 100% said nothing more.
        self.query_one("#backup-progress", ProgressBar).display = False
        status = self.query_one("#backup-status", Static)
        status.set_class(not message.ok, "-failed")
        self._status(message.text)
        if message.error and "cancelled" not in message.error:
            from lakeconsole.tui.modals import ErrorScreen

            self.app.push_screen(
                ErrorScreen(
                    message.error,
                    title="Backup task failed",
                    where="logs/app.log, the backup target",
                )
            )
        self.load_overview()

    def action_cancel_work(self) -> None:
        if self.busy:
            self.cancel.set()
            self._status("stopping…")
        else:
            self._status("nothing running to stop")

    def action_back(self) -> None:
        self.cancel.set()  # leaving stops a running backup at its next file
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        self.busy = False
        self._status(f"failed: {event.worker.error}")
        from lakeconsole.tui.modals import ErrorScreen

        self.app.push_screen(
            ErrorScreen(str(event.worker.error), title="Backup view failed", where="logs/app.log")
        )

    def _status(self, text: str) -> None:
        self._status_text = text
        self.query_one("#backup-status", Static).update(text)


def summary_lines(o: Overview, drill_key: str) -> list[str]:
    """The summary block: target, last backup, verify, drill (`drill_key` runs one), overdue."""
    lines = [f"Target:       {o.target or '(none: set BACKUP_TARGET in .env)'}"]
    last = o.status.get("last_backup")
    lines.append(
        "Last backup:  "
        + (
            f"{_when(last['at'])}  snapshot {last['snapshot']}, {last['files']} files "
            f"({human_bytes(last['bytes'])}), {human_bytes(last.get('sent_bytes', 0))} sent"
            if last
            else "never"
        )
    )
    verify = o.status.get("last_verify")
    lines.append(
        "Last verify:  "
        + (
            f"{_when(verify['at'])}  {verify['snapshot']}: "
            + ("ok" if verify["ok"] else f"FAILED, {len(verify['problems'])} problems")
            if verify
            else "never"
        )
    )
    drill = o.status.get("last_drill")
    lines.append(
        "Last drill:   "
        + (
            f"{_when(drill['at'])}  {drill['snapshot']}: " + ("passed" if drill["ok"] else "FAILED")
            if drill
            else f"never ({drill_key} runs one)"
        )
    )
    lines.append(("OVERDUE — " if o.overdue else "Up to date — ") + o.detail)
    return lines


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
