"""Fixtures for the governance tests: real Delta tables with schema versions, marts, git repos."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake

REPO = Path(__file__).resolve().parents[1]

COMPLETE_README = """\
# Mart `sales`

## Business Definition

Net Revenue = (Price × Qty) − Tax, per order date, region and product.

## Owner

CFO Office

## Refresh Rate

Daily at 8 AM
"""

ORDERS = pa.schema([("order_id", pa.string()), ("qty", pa.int64())])


def rows(schema: pa.Schema, n: int = 2) -> pa.Table:
    """n rows of plausible values for any simple schema."""
    columns = {}
    for f in schema:
        if pa.types.is_integer(f.type):
            columns[f.name] = pa.array(range(n), type=f.type)
        elif pa.types.is_floating(f.type):
            columns[f.name] = pa.array([float(i) for i in range(n)], type=f.type)
        elif pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            columns[f.name] = pa.array([f"{f.name}-{i}" for i in range(n)], type=f.type)
        else:
            columns[f.name] = pa.nulls(n, type=f.type)
    return pa.table(columns, schema=schema)


def write_versioned(path: Path, schema: pa.Schema, version: str, **kw: object) -> DeltaTable:
    """Write rows the way the pipeline does: userMetadata {"version"} on the commit."""
    meta = {"userMetadata": json.dumps({"version": version})}
    write_deltalake(
        str(path),
        rows(schema),
        mode=kw.pop("mode", "overwrite"),  # type: ignore[arg-type]
        commit_properties=CommitProperties(custom_metadata=meta),
        **kw,  # type: ignore[arg-type]
    )
    return DeltaTable(str(path))


def make_mart(data_dir: Path, name: str = "sales", readme: str | None = COMPLETE_README) -> Path:
    """A mart folder with one small gold table and, unless None, the README text."""
    mart = data_dir / "gold" / name
    write_versioned(mart / "daily", ORDERS, "1.0.0")
    if readme is not None:
        (mart / "README.md").write_text(readme, encoding="utf-8")
    return mart


def git(home: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(home), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def git_repo(home: Path) -> Path:
    """Make the project folder a git repository with the project's .gitignore, all committed."""
    (home / ".gitignore").write_text((REPO / ".gitignore").read_text())
    git(home, "init", "-q")
    git(home, "config", "user.email", "dev@example.invalid")
    git(home, "config", "user.name", "dev")
    git(home, "add", "-A")
    git(home, "commit", "-qm", "project")
    return home


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll a condition (for file watchers, which need a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def clean_project(home: Path) -> Path:
    """A project where `lakeconsole check` finds nothing: the sales mart's table as declared,
    a complete README with its column dictionary, a recent backup, everything committed.
    Returns the mart folder."""
    from lakeconsole.core.backup.status import record
    from lakeconsole.core.contracts import declared_tables
    from lakeconsole.core.marts.dictionary import refresh_dictionary
    from lakeconsole.core.marts.readme import find_marts
    from lakeconsole.core.schema_version import open_or_create
    from lakeconsole.core.settings import load_settings
    from tests.sales_tables import GOLD_DAILY_REVENUE

    settings = load_settings({"LAKECONSOLE_HOME": str(home)})
    spec = GOLD_DAILY_REVENUE
    open_or_create(spec.path(settings.data_dir), spec.schema, spec.version)
    mart = settings.data_dir / "gold" / "sales"
    (mart / "README.md").write_text(COMPLETE_README, encoding="utf-8")
    refresh_dictionary(
        find_marts(settings.data_dir)[0], settings.data_dir, declared_tables(settings)
    )
    record(settings, "last_backup", {"at": time.time()})
    git_repo(home)
    return mart
