"""The shipped steps name the declared tables, and loading them stays free of pyarrow."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from lakeconsole.core.pipeline import DEFAULT_PIPELINE, forget_loaded, load_pipeline
from lakeconsole.core.settings import Settings
from tests.sales_tables import BRONZE_ORDERS, GOLD_DAILY_REVENUE, SILVER_ORDERS, TABLES, sales_steps


def test_steps_write_the_declared_tables() -> None:
    outputs = {step.name: step.outputs for step in sales_steps()}
    assert outputs == {
        "bronze_ingest": (BRONZE_ORDERS.name,),
        "silver_orders": (SILVER_ORDERS.name,),
        "gold_daily_revenue": (GOLD_DAILY_REVENUE.name,),
    }
    assert all(name in TABLES for names in outputs.values() for name in names)


def test_an_env_written_before_the_pipeline_moved_still_loads_the_sales_pipeline(
    settings: Settings,
) -> None:
    # .env files from an older template name the steps in core/sales, which is gone.
    forget_loaded()
    for old in ("core.sales.steps:sales_steps", "core.sales.definition:sales_steps"):
        loaded = load_pipeline(dataclasses.replace(settings, pipeline=old))
        assert loaded.declared is not None and loaded.declared.name == "sales"
        assert list(loaded.steps) == [s.name for s in sales_steps()]


def test_loading_the_pipeline_does_not_import_pyarrow() -> None:
    # The console shows the pipeline before its first screen; pyarrow costs ~0.1 s to import.
    code = (
        "import sys\n"
        "from lakeconsole.core.pipeline import load_pipeline\n"
        "load_pipeline()\n"
        "print(sorted(m for m in ('pyarrow', 'deltalake', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert DEFAULT_PIPELINE == "lakeconsole.pipelines.sales:pipeline"
    assert list(load_pipeline().steps) == [s.name for s in sales_steps()]


def test_every_feature_reads_the_tables_the_pipeline_declares() -> None:
    assert dict(load_pipeline().tables) == TABLES
    assert [spec.name for spec in load_pipeline().marts()["sales"]] == [GOLD_DAILY_REVENUE.name]
