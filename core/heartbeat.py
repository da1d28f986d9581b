"""The heartbeat lines of OPS-09, as text; the CLI decides on colour and stream."""

from __future__ import annotations

from core.events import RunStatus

SUCCESS_MARK = "✓"
FAILURE_MARK = "✗"


def heartbeat_line(status: RunStatus | str, records: int, error: str | None) -> str:
    """`✓ Pipeline Finished: Processed N records` or `✗ Pipeline Failed: <message>`."""
    if RunStatus(status) == RunStatus.SUCCEEDED:
        return f"{SUCCESS_MARK} Pipeline Finished: Processed {records} records"
    if RunStatus(status) == RunStatus.CANCELLED:
        return f"{FAILURE_MARK} Pipeline Failed: cancelled by the user"
    return f"{FAILURE_MARK} Pipeline Failed: {error or 'unknown error (see logs/app.log)'}"


def is_success(status: RunStatus | str) -> bool:
    return RunStatus(status) == RunStatus.SUCCEEDED
