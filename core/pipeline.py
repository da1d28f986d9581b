"""The pipeline lakeconsole runs: the sales lakehouse definition, validated as a DAG."""

from __future__ import annotations

from core.dag import Pipeline


def load_pipeline() -> Pipeline:
    """The shipped pipeline (see core/sales/definition.py to add steps or marts)."""
    from core.sales.definition import sales_steps

    return Pipeline(sales_steps())
