"""The heartbeat lines of OPS-09, as text; the CLI decides on colour and stream."""

from __future__ import annotations

from collections.abc import Mapping

from lakeconsole.core.events import RunStatus
from lakeconsole.core.units import count

SUCCESS_MARK = "✓"
FAILURE_MARK = "✗"


def heartbeat_line(
    status: RunStatus | str,
    records: int,
    error: str | None,
    wrote: Mapping[str, int] | None = None,
) -> str:
    """`✓ Pipeline Finished: Processed N records` or `✗ Pipeline Failed: <message>`.

    `wrote` is the rows each step wrote (step name → rows). A run that read no new landing rows
    but wrote some (it finished an earlier, cancelled run's work) says so instead of "0"."""
    if RunStatus(status) == RunStatus.SUCCEEDED:
        earlier = [f"{step} wrote {count(n)} rows" for step, n in (wrote or {}).items() if n > 0]
        if records == 0 and earlier:
            return (
                f"{SUCCESS_MARK} Pipeline Finished: Processed 0 new landing records; "
                f"from an earlier run's input: {', '.join(earlier)}"
            )
        return f"{SUCCESS_MARK} Pipeline Finished: Processed {records} records"
    if RunStatus(status) == RunStatus.CANCELLED:
        return f"{FAILURE_MARK} Pipeline Failed: cancelled by the user"
    return f"{FAILURE_MARK} Pipeline Failed: {error or 'unknown error (see logs/app.log)'}"


def is_success(status: RunStatus | str) -> bool:
    return RunStatus(status) == RunStatus.SUCCEEDED
