"""A `@pipeline.step`: any Python, writing its declared tables through ctx (core.blocks.writes).

The function gets the StepContext plus ctx.append / ctx.merge / ctx.overwrite, and returns None
(its records are then the rows its writes took in and wrote) or a StepResult of its own.
"""

from __future__ import annotations

import logging

from lakeconsole.core.api import CustomStep
from lakeconsole.core.dag import StepContext, StepResult

log = logging.getLogger("lakeconsole.step")


def run_custom(ctx: StepContext, custom: CustomStep) -> StepResult:
    from lakeconsole.core.blocks.writes import StepWriteContext

    wctx = StepWriteContext(ctx, custom)
    returned = custom.run(wctx)
    if isinstance(returned, StepResult):
        return returned
    done = wctx.writes
    result = StepResult(
        records_in=done.rows_in, records_out=done.rows_out, details={"writes": done.calls}
    )
    if returned is not None:
        # Its writes are committed by now: failing the step would call them undone. Say it.
        line = (
            f"step {custom.name} returned {type(returned).__name__}, which is ignored: return "
            "None or a StepResult (lakeconsole.StepResult)"
        )
        log.warning(line)
        result.warnings.append(line)
    return result
