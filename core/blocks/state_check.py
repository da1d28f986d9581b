"""`lakeconsole check` on a declared pipeline's state files (being generalised in issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeconsole.core.api import Pipeline
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.governance import Finding


def state_findings(settings: Settings, pipeline: Pipeline) -> list[Finding]:
    from lakeconsole.core.sales.state_check import state_findings as sales_findings

    return sales_findings(settings)
