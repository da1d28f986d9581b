"""The shipped steps name the declared tables, and loading them stays free of pyarrow."""

from __future__ import annotations

import subprocess
import sys

from lakeconsole.core.pipeline import DEFAULT_PIPELINE, load_pipeline
from lakeconsole.core.sales.definition import (
    BRONZE_ORDERS,
    GOLD_DAILY_REVENUE,
    SILVER_ORDERS,
    TABLES,
)
from lakeconsole.core.sales.steps import sales_steps


def test_steps_write_the_declared_tables() -> None:
    outputs = {step.name: step.outputs for step in sales_steps()}
    assert outputs == {
        "bronze_ingest": (BRONZE_ORDERS.name,),
        "silver_orders": (SILVER_ORDERS.name,),
        "gold_daily_revenue": (GOLD_DAILY_REVENUE.name,),
    }
    assert all(name in TABLES for names in outputs.values() for name in names)


def test_old_env_setting_still_loads_the_same_steps() -> None:
    # .env files written from an older template name the steps in definition.py.
    from lakeconsole.core.sales.definition import sales_steps as old_name

    assert [s.name for s in old_name()] == [s.name for s in sales_steps()]


def test_loading_the_pipeline_does_not_import_pyarrow() -> None:
    # The console shows the pipeline before its first screen; pyarrow costs ~0.1 s to import.
    code = (
        "import sys\n"
        "from core.pipeline import load_pipeline\n"
        "load_pipeline()\n"
        "print(sorted(m for m in ('pyarrow', 'deltalake', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert DEFAULT_PIPELINE == "lakeconsole.pipelines.sales:pipeline"
    assert list(load_pipeline().steps) == [s.name for s in sales_steps()]


def test_the_steps_module_answers_for_the_declared_tables() -> None:
    # core.contracts reads TABLES from the module LAKECONSOLE_PIPELINE names.
    import lakeconsole.core.sales.steps as steps

    assert steps.TABLES is TABLES
