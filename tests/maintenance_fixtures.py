"""Helpers for the maintenance tests: real Delta tables in the fixture lake, read safely."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake

DAY = 86400


def make_table(path: Path, overwrites: int = 1, rows: int = 3) -> Path:
    """A table written once, then overwritten `overwrites` times: each overwrite leaves the
    previous files as tombstones (what a vacuum may delete)."""
    for version in range(overwrites + 1):
        data = pa.table({"id": list(range(rows)), "version": [version] * rows})
        write_deltalake(str(path), data, mode="overwrite" if version else "error")
    return path


def read_rows(path: Path) -> list[dict[str, object]]:
    """The current version's rows (QueryBuilder: no exit-time abort, see DELTALAKE-NOTES)."""
    query = QueryBuilder().register("t", DeltaTable(str(path)))
    return pa.table(query.execute("select * from t order by id")).to_pylist()


def data_files(path: Path) -> set[str]:
    """Every file in the table folder outside `_delta_log`, relative."""
    return {
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if p.is_file() and "_delta_log" not in p.parts
    }


def backdate_tombstones(path: Path, commit: int, days: float) -> None:
    """Move the deletion time of the `remove` actions of one commit `days` into the past, as if
    that overwrite had happened then (delta-rs decides expiry from this timestamp)."""
    log = path / "_delta_log" / f"{commit:020d}.json"
    then_ms = int((time.time() - days * DAY) * 1000)
    lines = []
    for line in log.read_text().splitlines():
        action = json.loads(line)
        if "remove" in action:
            action["remove"]["deletionTimestamp"] = then_ms
        lines.append(json.dumps(action))
    log.write_text("\n".join(lines) + "\n")


def age(path: Path, days: float) -> None:
    """Set a file's modification time `days` into the past."""
    then = time.time() - days * DAY
    os.utime(path, (then, then))
