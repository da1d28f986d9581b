"""The maintenance ledger: one JSON line per vacuum or optimize, appended, never rewritten.

It lives in the engine's state folder (`data/_lakeconsole/maintenance.jsonl`, or
`s3://bucket/lake/_lakeconsole/maintenance.jsonl` beside a lake in a bucket) and answers
"when was this table last vacuumed?" for overdue tracking, the dashboard and `check`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, overload

from lakeconsole.core.state_shape import LIST, NUMBER, OBJECT, TEXT, WHOLE, shape_problem
from lakeconsole.core.storage import Location, append_line

log = logging.getLogger("lakeconsole.maintenance")

LEDGER_FILE = "maintenance.jsonl"
# What the readers rely on; vacuum and optimize write more (files, bytes, user, reason...).
RECORD_FIELDS = {
    "action": TEXT,
    "table": TEXT,
    "at": NUMBER,
    "files": WHOLE,
    "bytes": WHOLE,
    "files_before": WHOLE,
    "files_after": WHOLE,
    "bytes_before": WHOLE,
    "bytes_after": WHOLE,
    "zorder_by": LIST,
    "kept": LIST,
    "details": OBJECT,
}
REQUIRED = ("action", "table", "at")

StateDir = Path | Location  # core.storage.state_home's answer


@overload
def ledger_path(state_dir: Path) -> Path: ...
@overload
def ledger_path(state_dir: Location) -> Location: ...
@overload
def ledger_path(state_dir: StateDir) -> Path | Location: ...
def ledger_path(state_dir: StateDir) -> Path | Location:
    return state_dir / LEDGER_FILE


def append_record(state_dir: StateDir, record: dict[str, Any]) -> None:
    """Append one record (core.storage.append_line: an O_APPEND write locally, a conditional
    rewrite in a bucket, so no record is lost either way)."""
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    append_line(ledger_path(state_dir), line)


def _ledger_text(state_dir: StateDir) -> str | None:
    """The ledger's text, None when there is none yet."""
    if isinstance(state_dir, Location):
        got = (state_dir / LEDGER_FILE).read_tagged()
        return None if got is None else got[0].decode("utf-8", errors="replace")
    try:
        return ledger_path(state_dir).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return None


def line_problem(line: str) -> str | None:
    """What makes one ledger line not a maintenance record, or None."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return f"not JSON: {exc}"
    return shape_problem(record, RECORD_FIELDS, REQUIRED)


def read_records(
    state_dir: StateDir, action: str | None = None, problems: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every record, oldest first. A line that is not a record (a torn last line after a crash,
    a hand edit) counts as missing; `problems` gets a line naming it. A torn last line is
    silent: it is a crash's half-written append, and the next append starts a new line."""
    path = ledger_path(state_dir)
    text = _ledger_text(state_dir)
    if text is None:
        return []
    lines = text.split("\n")
    records = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        problem = line_problem(line)
        if problem:
            torn = n == len(lines) and not text.endswith("\n")
            if not torn:
                message = skipped_line(path, n, problem)
                log.warning("%s", message)
                if problems is not None:
                    problems.append(message)
            continue
        record = json.loads(line)
        if action is None or record.get("action") == action:
            records.append(record)
    return records


def skipped_line(path: Path | Location, n: int, why: str) -> str:
    return (
        f"skipped line {n} of {path}: not a maintenance record ({why}); read as if missing "
        "(the table it names counts as not vacuumed or optimized then)"
    )


def last_done(state_dir: StateDir, action: str) -> dict[str, dict[str, Any]]:
    """The latest record of `action` per table name."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(state_dir, action):
        table = str(record.get("table", ""))
        if table and float(record["at"]) >= float(latest.get(table, {}).get("at", 0)):
            latest[table] = record
    return latest
