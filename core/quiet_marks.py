"""A step that found nothing to do leaves a mark; the next run that finds the same mark skips it.

A no-op cron run spends most of its time importing what the steps need (numpy, pyarrow,
deltalake: ~0.15 s of ~0.25 s) only to learn again that nothing changed. The mark is a digest of
everything a step's outcome depends on: the Delta logs of the lake's tables, the landing
folder, the engine's state files, the code it ran, the settings and today's date (a full check
at least once a day). Any change there (a new file, a commit by anyone, a restore, an edited
declaration) gives another digest, and the step runs as usual.

A mark is written only when the step changed nothing (the same digest after as before, no rows
in or out, no warnings): a fixed point the step itself has shown, not one we assume. Only the
engine's blocks are marked (`Step.settles`): a custom step may read the outside world, so it
always runs. The damage check still runs before every step (runner), marked or not. Crash
leftovers in a skipped step's folders wait for the day's first full check (they hold disk, not
data). Stdlib only, on purpose.
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
NOT_STATE = frozenset({"cache", "runs", "run.lock"})
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
        self.path = settings.state_dir / "cache" / MARKS_FILE
        self.marks: dict[str, Any] = self._read()
        self.changed = False
        self._lake: dict[str, Any] | None = None  # listed once; again after a step did work

    def _read(self) -> dict[str, Any]:
        try:
            marks = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return marks if isinstance(marks, dict) else {}

    def state(self, step: Step) -> str:
        """What this step's outcome depends on, but its code, as one hash. Every table of the
        lake counts, not only the step's own: a block also writes its quarantine and files
        tables, and a restore or a repair may touch any of them."""
        if self._lake is None:
            data = self.settings.data_dir
            self._lake = {
                "day": date.today().isoformat(),
                "settings": repr(self.settings),
                "env": _env_file_and_vars(self.settings),
                "tables": {
                    str(t.relative_to(data)): _listing(t / "_delta_log", recursive=False)
                    for t in find_tables(data)
                },
                "landing": _listing(landing_dir(data), recursive=True),
                "state": _listing(self.settings.state_dir, recursive=True, leave_out=NOT_STATE),
            }
        return _hash({"step": step.name, **self._lake})

    def skip(self, step: Step) -> dict[str, Any] | None:
        """The details the step reported when it last found nothing to do, if nothing it
        depends on has changed since; None when it has to run."""
        mark = self.marks.get(step.name)
        if not step.settles or not isinstance(mark, dict) or not isinstance(mark.get("code"), list):
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
        try:
            return self.state(step)
        except OSError:
            return None

    def after(self, step: Step, before: str | None, result: StepResult, run_id: str) -> None:
        """Mark the step when it changed nothing; forget its mark when it did work."""
        self._lake = None  # the step may have changed the lake: list it again
        looked_quiet = (
            step.settles
            and before is not None
            and result.records_in == 0
            and result.records_out == 0
            and not result.warnings
        )
        try:
            now = self.state(step) if looked_quiet else None
        except OSError:
            now = None
        if now is not None and now == before:
            code = code_files(self.source)  # with the modules the step imported
            self.marks[step.name] = {
                "digest": _hash([now, _file_stats(code)]),
                "code": code,
                "details": {k: v for k, v in result.details.items() if k != UNCHANGED},
                "run_id": run_id,
            }
            self.changed = True
        elif self.marks.pop(step.name, None) is not None:
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
