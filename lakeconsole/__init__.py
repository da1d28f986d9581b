"""lakeconsole: a terminal console and CLI for a Delta Lake medallion lakehouse.

The public pipeline API (docs/pipelines.md):

    from lakeconsole import Pipeline, col, landing, rule

The engine is `lakeconsole.core`, the CLI `lakeconsole.cli`, the console `lakeconsole.tui` and
the shipped pipelines `lakeconsole.pipelines` (in the repository, links to the design card's
top-level folders core/, cli/, tui/ and to pipelines/). A pipeline imports only the names below.
"""

from lakeconsole.core.api import (
    BronzeTable,
    Col,
    CustomTable,
    DeclarationError,
    GoldContext,
    GoldTable,
    Landing,
    Pipeline,
    Rule,
    SilverTable,
    Table,
    col,
    landing,
    rule,
)
from lakeconsole.core.dag import StepContext, StepResult

__all__ = [
    "BronzeTable",
    "Col",
    "CustomTable",
    "DeclarationError",
    "GoldContext",
    "GoldTable",
    "Landing",
    "Pipeline",
    "Rule",
    "SilverTable",
    "StepContext",
    "StepResult",
    "Table",
    "col",
    "landing",
    "rule",
]
