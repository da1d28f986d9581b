"""A step that found nothing to do leaves a mark; the next run that finds the same mark skips it.

A no-op cron run spends most of its time importing what the steps need (numpy, pyarrow,
deltalake: ~0.15 s of ~0.25 s) only to learn again that nothing changed. The mark is a digest of
everything a step's outcome depends on: the Delta logs of the lake's tables, the landing
folder, the engine's state files, the code it ran, the settings and today's date (a full check
at least once a day). Any change there (a new file, a commit by anyone, a restore, an edited
declaration) gives another digest, and the step runs as usual.

A mark is written when the step changed nothing (the same digest after as before, no rows in or
out, no warnings): a fixed point the step itself has shown. A step that did work is marked too,
at the end of a run that succeeded, when it says it left nothing for a re-run
(`StepResult.settled`: no file left for later, no warning a re-run would repeat) and nothing it
could depend on changed after it but the tables and state files of the steps that ran after it
(those write only their own tables; a landing file that came meanwhile, or another table that
moved, means no mark). That spares the first no-op after a productive run its imports too.

Only the engine's blocks are marked (`Step.settles`): a custom step may read the outside world,
so it always runs. The damage check still runs before every step (runner), marked or not. Crash
leftovers in a skipped step's folders wait for the day's first full check (they hold disk, not
data). Stdlib only, on purpose.

A lake on object storage keeps no marks (each step runs: its blocks find nothing to do and
commit nothing): the digest lists local folders, and listing a bucket's every log and state
prefix would cost a no-op run more round trips than it saves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeconsole.core.lake import find_tables, landing_dir

if TYPE_CHECKING:
    from lakeconsole.core.dag import Pipeline, Step, StepResult
    from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.quiet")

MARKS_FILE = "quiet-steps.json"  # in the state folder's cache/: a lost file only costs time
# Folders of the state folder that change on every run without changing what a step would do.
# (alerts.json and quality.jsonl: what runs found, written at a run's end; not a step's input.)
NOT_STATE = frozenset({"cache", "runs", "run.lock", "alerts.json", "quality.jsonl"})
UNCHANGED = "unchanged_since_run"  # the detail a skipped step reports: the run that checked


def _listing(
    folder: Path, recursive: bool, leave_out: frozenset[str] = frozenset()
) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of every file under `folder` but the top-level entries
    named in `leave_out`, sorted; [] when absent."""
    out: list[tuple[str, int, int]] = []
    stack = [(folder, "")]
    seen = {os.path.realpath(folder)}
    while stack:
        here, prefix = stack.pop()
        try:
            entries = list(os.scandir(here))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            name = prefix + entry.name
            if not prefix and entry.name in leave_out:
                continue
            try:
                if entry.is_dir():  # a linked folder is followed, as bronze's glob does
                    real = os.path.realpath(entry.path)
                    if recursive and real not in seen:
                        seen.add(real)
                        stack.append((Path(entry.path), name + "/"))
                    continue
                st = entry.stat()  # a link's target: the file bronze would read
                out.append((name, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((name, -1, -1))  # a dangling link: bronze sees it too
    return sorted(out)


def _file_stats(paths: Iterable[str]) -> list[tuple[str, int, int]]:
    out = []
    for path in sorted(paths):
        try:
            st = os.stat(path)
            out.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((path, -1, -1))  # a code file gone: another digest, so the step runs
    return out


def code_files(pipeline_source: str) -> list[str]:
    """The source files of lakeconsole and of the pipeline's package loaded now: an edited
    declaration, rule or engine module gives another digest."""
    packages = {"lakeconsole", pipeline_source.split(":")[0].split(".")[0]}
    files = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in packages:
            path = getattr(module, "__file__", None)
            if path and path.endswith(".py"):
                files.append(path)
    return sorted(set(files))


class QuietMarks:
    """The marks of one lake's steps, read once per run and written back at its end."""

    def __init__(self, settings: Settings, pipeline: Pipeline, source: str) -> None:
        self.settings, self.pipeline, self.source = settings, pipeline, source
        self.active = not settings.on_object_storage
        self.path = settings.state_dir / "cache" / MARKS_FILE
        self.marks: dict[str, Any] = self._read()
        self.changed = False
        self._lake: dict[str, Any] | None = None  # listed once; again after a step did work
        self._before: dict[str, Any] | None = None  # the listing the running step started from
        # (step, listing after it) of each step that ran, in order; and the indexes of the steps
        # that did work and say they left nothing for a re-run (marked at the run's end)
        self._ran: list[tuple[Step, dict[str, Any] | None, dict[str, Any] | None]] = []
        self._worked: list[int] = []

    def _read(self) -> dict[str, Any]:
        if not self.active:
            return {}
        try:
            marks = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return marks if isinstance(marks, dict) else {}

    def lake(self) -> dict[str, Any]:
        """What any step's outcome depends on, but its code. Every table of the lake counts, not
        only the step's own: a block also writes its quarantine and files tables, and a restore
        or a repair may touch any of them. Beside each table, its folder's files (a mart's
        README, which gold puts back when it is gone)."""
        if self._lake is None:
            data = self.settings.data_dir
            tables = find_tables(data)
            self._lake = {
                "day": date.today().isoformat(),
                "settings": repr(self.settings),
                "declared": self._declared(),
                "env": _env_file_and_vars(self.settings),
                "tables": {
                    str(t.relative_to(data)): _listing(t / "_delta_log", recursive=False)
                    for t in tables
                },
                "beside": {
                    str(folder.relative_to(data)): _listing(folder, recursive=False)
                    for folder in sorted({t.parent for t in tables})
                },
                "landing": _listing(landing_dir(data), recursive=True),
                "state": _listing(self.settings.state_dir, recursive=True, leave_out=NOT_STATE),
            }
        return self._lake

    def _declared(self) -> list[str]:
        """The declared tables (columns, versions, keys): a declaration changed in the running
        process (a loaded module edited and reloaded) gives another digest, as its file does."""
        declared = getattr(self.pipeline, "declared", None)  # read anew: `tables` is cached
        tables = declared.specs() if declared is not None else {}
        return [repr(tables[name]) for name in sorted(tables)]

    def state(self, step: Step) -> str:
        """The lake as this step's outcome depends on it, as one hash."""
        return _hash({"step": step.name, **self.lake()})

    def skip(self, step: Step) -> dict[str, Any] | None:
        """The details the step reported when it last found nothing to do, if nothing it
        depends on has changed since; None when it has to run."""
        mark = self.marks.get(step.name)
        if not self.active or not step.settles or not isinstance(mark, dict):
            return None
        if not isinstance(mark.get("code"), list):
            return None
        try:
            same = _hash([self.state(step), _file_stats(mark["code"])]) == mark.get("digest")
        except OSError as exc:  # an unreadable folder: the step runs and says what is wrong
            log.debug("quiet mark of %s not checked: %s", step.name, exc)
            return None
        if not same:
            return None
        return {**mark.get("details", {}), UNCHANGED: mark.get("run_id", "")}

    def before(self, step: Step) -> str | None:
        """The step's state before it runs (None: cannot tell, so no mark after it)."""
        if not self.active:
            self._before = None
            return None  # nothing is listed, nothing marked after
        try:
            self._before = self.lake()
            return self.state(step)
        except OSError:
            self._before = None
            return None

    def after(self, step: Step, before: str | None, result: StepResult, run_id: str) -> None:
        """Mark the step when it changed nothing; when it did work, forget its mark (and mark it
        at the run's end if it says it settled)."""
        self._lake = None  # the step may have changed the lake: list it again
        try:
            now: dict[str, Any] | None = self.lake() if before is not None else None
        except OSError:
            now = None
        self._ran.append((step, self._before, now))
        looked_quiet = (
            step.settles
            and result.records_in == 0
            and result.records_out == 0
            and not result.warnings
        )
        if looked_quiet and now is not None and self.state(step) == before:
            self._mark(step, self.state(step), result.details, run_id)
            return
        if self.marks.pop(step.name, None) is not None:
            self.changed = True
        if step.settles and result.settled and now is not None:
            self._worked.append(len(self._ran) - 1)

    def finish(self, run_id: str) -> None:
        """At the end of a run that succeeded: mark each step that did work and settled, when
        the lake has moved since it finished only where the later steps write."""
        if not self._worked:
            return
        self._lake = None
        try:
            end = self.lake()
        except OSError:
            return
        for index in self._worked:
            step, _, left = self._ran[index]
            assert left is not None  # only steps with a listing after them are here
            allowed: set[str] = set()
            for later, started, finished in self._ran[index + 1 :]:
                if started is None or finished is None:
                    break  # a later step whose changes are unknown: no mark
                allowed |= _written_by(later, started, finished)
            else:
                if _differences(left, end) <= allowed:
                    self._mark(step, self.state(step), {}, run_id)

    def _mark(self, step: Step, state: str, details: dict[str, Any], run_id: str) -> None:
        if not self.active:
            return
        code = code_files(self.source)  # with the modules the step imported
        self.marks[step.name] = {
            "digest": _hash([state, _file_stats(code)]),
            "code": code,
            "details": {k: v for k, v in details.items() if k != UNCHANGED},
            "run_id": run_id,
        }
        self.changed = True

    def save(self) -> None:
        """Write the marks (temp file + rename); a failure only costs the next run time."""
        if not self.changed:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.marks, indent=1))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("quiet marks not saved (%s): the next no-op run does the full check", exc)


def _differences(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    """Where two listings of the lake differ: "day", "tables:silver/x", "state:sales/y.json"…"""
    out = {key for key in ("day", "settings", "declared", "env", "landing") if a[key] != b[key]}
    for part in ("tables", "beside"):
        names = a[part].keys() | b[part].keys()
        out |= {f"{part}:{n}" for n in names if a[part].get(n) != b[part].get(n)}
    state_a = {entry[0]: entry for entry in a["state"]}
    state_b = {entry[0]: entry for entry in b["state"]}
    names = state_a.keys() | state_b.keys()
    out |= {f"state:{n}" for n in names if state_a.get(n) != state_b.get(n)}
    return out


def _written_by(step: Step, started: dict[str, Any], finished: dict[str, Any]) -> set[str]:
    """What a step may have changed: its own tables (and their folders' files), and the state
    files that changed while it ran. Nothing else: landing, settings and other tables are
    never a step's to change."""
    tables = step.writes
    own = {f"tables:{out}" for out in tables}
    own |= {f"beside:{Path(out).parent}" for out in tables}
    return own | {d for d in _differences(started, finished) if d.startswith("state:")}


def _hash(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _env_file_and_vars(settings: Settings) -> list[Any]:
    """The .env text and the LAKECONSOLE_ variables: what a pipeline's own settings come from."""
    try:
        env_text = (settings.home / ".env").read_text()
    except OSError:
        env_text = ""
    own = sorted((k, v) for k, v in settings.raw.items() if k.startswith("LAKECONSOLE_"))
    return [env_text, own]
