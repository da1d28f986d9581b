"""A new project folder (`lakeconsole init DIR`): settings, a pipeline to edit, sample data.

What it writes runs with the installed lakeconsole alone (no checkout, no setup.sh):

    DIR/.env                     LAKECONSOLE_PIPELINE=<name>_pipeline:pipeline, data dir DIR/data
    DIR/<name>_pipeline.py       one CSV source, one silver table with two rules, one gold table
    DIR/marts/orders.md          the mart's README template (OPS-05 sections)
    DIR/.gitignore               code in git, data never (OPS-07)
    DIR/data/landing/orders_0001.csv   a few order lines, two of them bad, for the first run

A file that exists is never overwritten: it is kept and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lakeconsole.core.lake import ensure_layout, landing_dir

MART = "orders"
SAMPLE = "orders_0001.csv"
_NOT_A_NAME = re.compile(r"[^a-z0-9]+")


class ProjectError(Exception):
    """The project cannot be made; the message names the folder and the fix."""


@dataclass
class Scaffold:
    """What `init` wrote and what it kept (files that were there already)."""

    folder: Path
    name: str
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    @property
    def module(self) -> str:
        return f"{self.name}_pipeline"


def project_name(folder: Path) -> str:
    """The folder's name as a pipeline name: lowercase letters, digits and _, starting with a
    letter ("My Shop-2" → "my_shop_2", "2024" → "lake_2024")."""
    name = _NOT_A_NAME.sub("_", folder.name.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"lake_{name}".rstrip("_")
    return name


def scaffold(folder: Path, *, force: bool = False) -> Scaffold:
    """Write a new project into `folder` (created if missing). A non-empty folder is refused
    unless `force`; even then no file that exists is overwritten."""
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ProjectError(f"{folder} is a file: name a folder for the new project")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ProjectError(
            f"{folder} is not empty: name a new folder, or pass --force to add the missing "
            "files (no existing file is overwritten)"
        )
    done = Scaffold(folder, project_name(folder))
    files = {
        folder / ".env": (_env(done.module), 0o600),
        folder / f"{done.module}.py": (_pipeline(done.name), 0o644),
        folder / "marts" / f"{MART}.md": (_MART_README, 0o644),
        folder / ".gitignore": (_GITIGNORE, 0o644),
        landing_dir(folder / "data") / SAMPLE: (_SAMPLE_CSV, 0o644),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ensure_layout(folder / "data")
        (folder / "logs").mkdir(exist_ok=True)
        for path, (text, mode) in files.items():
            _write_new(path, text, mode, done)
    except OSError as exc:
        raise ProjectError(
            f"cannot write {folder}: {exc.strerror or exc}; check its permissions"
        ) from None
    return done


def _write_new(path: Path, text: str, mode: int, done: Scaffold) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # "x": created only if missing, so a race with another writer cannot clobber it either.
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        done.kept.append(path)
        return
    path.chmod(mode)
    done.created.append(path)


def _env(module: str) -> str:
    return f"""\
# lakeconsole settings for this project (every key: lakeconsole's .env.template).
# The environment overrides this file; --data-dir overrides both for the lake's folder.

# The pipeline: module:attr of a lakeconsole.Pipeline. This folder is on the import path.
LAKECONSOLE_PIPELINE={module}:pipeline
# The lake (landing, bronze, silver, gold, quarantine), relative to this folder.
LAKECONSOLE_DATA_DIR=data
# Where app.log is written.
LAKECONSOLE_LOG_DIR=logs
LOG_LEVEL=INFO

# OPS-03: VACUUM keeps this many hours of history.
VACUUM_RETENTION_HOURS=168
# OPS-07: where `lakeconsole backup` sends the lake (a folder, rclone:remote:path, s3://...).
BACKUP_TARGET=
"""


def _pipeline(name: str) -> str:
    return '''\
"""The __NAME__ lakehouse, declared with lakeconsole's pipeline API (guide: docs/pipelines.md
in lakeconsole's repository).

    data/landing/orders_*.csv → bronze/orders_raw → silver/orders → gold/__MART__/daily_orders

Edit it freely: add columns, rules and tables. Every command checks the declaration when it
loads it and names the table and the fix for a mistake.
"""

from __future__ import annotations

from pathlib import Path

from lakeconsole import Pipeline, col, landing, rule

pipeline = Pipeline(
    "__NAME__",
    description="Orders: landing CSV → bronze → silver → the __MART__ mart",
    # marts/<mart>.md is where a mart's README (OPS-05) starts from.
    readme_templates=Path(__file__).parent / "marts",
)

# Bronze: each landing file's content exactly once, every column as text, plus lineage.
orders_raw = pipeline.bronze(
    "bronze/orders_raw",
    source=landing("orders_*.csv", columns=["order_id", "order_ts", "customer_id", "amount"]),
    description="Landing order files as raw text plus lineage. Append-only.",
)

# Silver: typed and validated (a failing line goes to quarantine/orders_rejected with the rule
# it failed), one live row per order_id (the latest ingested wins), written by MERGE.
orders = pipeline.silver(
    "silver/orders",
    from_=orders_raw,
    columns=[
        col("order_id", "string", "Order identifier"),
        col("order_ts", "timestamp", "When the order was placed, in UTC"),
        col("order_date", "date", "UTC date of order_ts; the partition"),
        col("customer_id", "string", "Customer identifier"),
        col("amount", "decimal(18,2)", "Order amount, exact to the cent"),
    ],
    key=("order_id",),
    partition_by=("order_date",),
    derive={"order_date": "date(order_ts)"},
    rules=[
        rule.not_null("customer_id"),
        rule.at_least("amount", 0, problem="is below zero"),
    ],
)

# Gold: recomputed for the order dates silver changed; only those partitions are overwritten.
pipeline.gold(
    "gold/__MART__/daily_orders",
    reads=[orders],
    columns=[
        col("order_date", "date", "UTC order date"),
        col("orders", "int64", "Orders placed that day"),
        col("revenue", "decimal(20,2)", "Σ amount"),
    ],
    key=("order_date",),
    partition_by=("order_date",),
    sql=(
        "SELECT order_date, count(*) AS orders, CAST(sum(amount) AS DECIMAL(20, 2)) AS revenue "
        "FROM orders WHERE order_date IN {changed} GROUP BY order_date"
    ),
)
'''.replace("__NAME__", name).replace("__MART__", MART)


_MART_README = """\
# Mart: orders

Written by lakeconsole from its template because this file was missing. Edit it freely: the
pipeline never overwrites it. It lives outside the table folders, so no VACUUM deletes it (OPS-05).

## Business Definition

Orders and revenue per order date (UTC).

- **Orders** = orders placed that day that passed silver's validation
- **Revenue** = Σ amount of those orders

An order re-sent later replaces the earlier one.

## Owner

Change this to whoever asked for the mart.

## Refresh Rate

Whenever `lakeconsole run` runs (cron it, e.g. `0 8 * * * cd /path/to/project && lakeconsole run`).

## Columns

The dictionary below is generated from the mart tables' schemas (`lakeconsole marts refresh`).

<!-- columns:start -->
<!-- columns:end -->
"""

_GITIGNORE = """\
# OPS-07: code in git, data never. The lake, logs and secrets stay local...
/data/*
# ...except each gold mart's README, which is documentation (OPS-05).
!/data/gold/
/data/gold/*
!/data/gold/*/
/data/gold/*/*
!/data/gold/*/README.md
/logs/
.env
__pycache__/
"""

# Two of the seven lines fail a rule (no customer, a negative amount): the first run shows
# quarantine at work as well as silver and gold.
_SAMPLE_CSV = """\
order_id,order_ts,customer_id,amount
1001,2026-01-05T09:12:00,c-17,42.50
1002,2026-01-05T10:40:00,c-03,18.00
1003,2026-01-05T17:05:00,,7.25
1004,2026-01-06T08:30:00,c-17,99.90
1005,2026-01-06T12:00:00,c-21,-5.00
1006,2026-01-06T15:45:00,c-08,12.10
1007,2026-01-07T11:11:00,c-03,63.00
"""
