"""The maintenance ledger: one JSON line per vacuum or optimize, appended, never rewritten.

It lives in the engine's state folder (`data/_lakeconsole/maintenance.jsonl`) and answers
"when was this table last vacuumed?" for overdue tracking, the dashboard and `check`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LEDGER_FILE = "maintenance.jsonl"


def ledger_path(state_dir: Path) -> Path:
    return state_dir / LEDGER_FILE


def append_record(state_dir: Path, record: dict[str, Any]) -> None:
    """Append one record in a single write to an O_APPEND file: concurrent appends never mix."""
    state_dir.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    fd = os.open(ledger_path(state_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(state_dir: Path, action: str | None = None) -> list[dict[str, Any]]:
    """Every record, oldest first; a torn last line (a crash mid-write) is skipped."""
    path = ledger_path(state_dir)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and (action is None or record.get("action") == action):
            records.append(record)
    return records


def last_done(state_dir: Path, action: str) -> dict[str, dict[str, Any]]:
    """The latest record of `action` per table name."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(state_dir, action):
        table = str(record.get("table", ""))
        if table and float(record.get("at", 0)) >= float(latest.get(table, {}).get("at", 0)):
            latest[table] = record
    return latest
