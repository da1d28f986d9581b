"""A small synthetic pipeline for the console tests: real Delta tables in tmp_path, steps that
fail or wait on demand, and a fixed clock for deterministic snapshots."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label

from lakeconsole.core.dag import Pipeline, Step, StepContext, StepResult
from lakeconsole.core.events import Layer
from lakeconsole.core.settings import Settings
from lakeconsole.core.upkeep import UpkeepItem

SYNTHETIC = "tests.tui_fixtures:steps"  # settings.pipeline for these tests
FIXED_NOW = 1_795_000_000.0  # 2026-11-18T08:53:20Z


def fixed_clock() -> float:
    return FIXED_NOW


def fixed_upkeep(settings: object) -> list[UpkeepItem]:
    return [
        UpkeepItem("vacuum", FIXED_NOW - 2 * 86400, False, "3 tables"),
        UpkeepItem("backup", None, True, "never backed up"),
    ]


def fixed_findings(settings: object) -> list[tuple[str, str, str]]:
    """Governance findings as `lakeconsole check` words them; `backup` repeats an upkeep item."""
    return [
        ("OPS-05", "gold/sales", "README.md missing sections: Owner"),
        ("OPS-07", "backup", "overdue: never backed up"),
    ]


@dataclass
class Controls:
    """What a test can make the pipeline do."""

    fail_bronze: bool = False
    gate: threading.Event | None = None  # bronze waits for it (cancellable) when set
    ignore_cancel: bool = False  # bronze waits for the gate even when cancelled
    waiting: threading.Event = field(default_factory=threading.Event)  # bronze is at the gate
    report_while_waiting: bool = False  # bronze reports its progress again while at the gate


def table_rows(path: Path) -> int | None:
    """Rows in the Delta table at `path`, or None when it was never created."""
    if not (path / "_delta_log").is_dir():
        return None
    return DeltaTable(str(path)).count()


def synthetic_pipeline(controls: Controls | None = None, rows: int = 12) -> Pipeline:
    """bronze_orders → silver_orders → gold_revenue, each writing a tiny real Delta table."""
    c = controls or Controls()

    def bronze(ctx: StepContext) -> StepResult:
        if c.fail_bronze:
            raise ValueError("landing file orders.csv: column 'qty' is not a number")
        ctx.progress(rows // 2, rows, "rows")
        if c.gate is not None:
            c.waiting.set()
            while not c.gate.wait(0.02):
                if c.report_while_waiting:
                    ctx.progress(rows // 2, rows, "rows")
                if not c.ignore_cancel:
                    ctx.check_cancelled()
        ctx.check_cancelled()
        write_deltalake(
            str(ctx.data_dir / "bronze/orders"), pa.table({"id": list(range(rows))}), mode="append"
        )
        ctx.progress(rows, rows, "rows")
        return StepResult(records_in=rows, records_out=rows, landing_rows=rows)

    def silver(ctx: StepContext) -> StepResult:
        n = DeltaTable(str(ctx.data_dir / "bronze/orders")).count()
        write_deltalake(
            str(ctx.data_dir / "silver/orders"), pa.table({"id": list(range(n))}), mode="overwrite"
        )
        return StepResult(records_in=n, records_out=n)

    def gold(ctx: StepContext) -> StepResult:
        n = DeltaTable(str(ctx.data_dir / "silver/orders")).count()
        write_deltalake(
            str(ctx.data_dir / "gold/revenue"), pa.table({"orders": [n]}), mode="overwrite"
        )
        return StepResult(records_in=n, records_out=1)

    return Pipeline(
        [
            Step("bronze_orders", Layer.BRONZE, bronze, outputs=("bronze/orders",)),
            Step(
                "silver_orders",
                Layer.SILVER,
                silver,
                depends_on=("bronze_orders",),
                outputs=("silver/orders",),
            ),
            Step(
                "gold_revenue",
                Layer.GOLD,
                gold,
                depends_on=("silver_orders",),
                outputs=("gold/revenue",),
            ),
        ]
    )


def steps() -> list[Step]:
    """For settings.pipeline: the console finds `landing_waiting` below in this module."""
    return list(synthetic_pipeline().steps.values())


def landing_waiting(settings: Settings) -> set[str]:
    """The pipeline's hook for the landing panel: here, files named done_* were ingested."""
    folder = settings.data_dir / "landing"
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("done_")}


def lake_tables(data_dir: Path) -> Iterator[tuple[str, int | None]]:
    for name in ("bronze/orders", "silver/orders", "gold/revenue"):
        yield name, table_rows(data_dir / name)


class StubScreen(Screen[None]):
    """Stands in for a view written elsewhere (tables, backup…): takes the settings."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield Label("stub view")
