"""The pipeline lakeconsole runs: by default the sales lakehouse, validated as a DAG.

LAKECONSOLE_PIPELINE=module:function points at another definition (a function returning a
list of Steps), so a team can run its own pipeline with the same runner, CLI and console."""

from __future__ import annotations

import importlib

from core.dag import Pipeline, PipelineError, Step
from core.settings import Settings

DEFAULT_PIPELINE = "core.sales.steps:sales_steps"


def load_pipeline(settings: Settings | None = None) -> Pipeline:
    """Load and validate the pipeline named in the settings (default: the sales lakehouse)."""
    spec = settings.pipeline if settings is not None else DEFAULT_PIPELINE
    module_name, _, func_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), func_name or "steps")
    except (ImportError, AttributeError) as exc:
        raise PipelineError(
            f"Cannot load the pipeline '{spec}' ({exc}). "
            "Set LAKECONSOLE_PIPELINE to module:function"
        ) from None
    steps: list[Step] = factory()
    return Pipeline(steps)
