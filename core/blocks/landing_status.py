"""What the landing panel shows for a declared pipeline (being generalised in issue 14)."""

from __future__ import annotations

from lakeconsole.core.api import Pipeline
from lakeconsole.core.settings import Settings


def waiting_files(settings: Settings, pipeline: Pipeline) -> set[str]:
    from lakeconsole.core.sales.ledger import waiting_files as sales_waiting

    return sales_waiting(settings)


def rejected_files(settings: Settings, pipeline: Pipeline) -> dict[str, str]:
    from lakeconsole.core.sales.ledger import rejected_files as sales_rejected

    return sales_rejected(settings)
