"""A `@pipeline.step`: any Python, writing through ctx (being built in issue 14)."""

from __future__ import annotations

from lakeconsole.core.api import CustomStep
from lakeconsole.core.dag import PipelineError, StepContext, StepResult


def run_custom(ctx: StepContext, custom: CustomStep) -> StepResult:
    raise PipelineError(f"step {custom.name}: custom steps are not runnable yet")
