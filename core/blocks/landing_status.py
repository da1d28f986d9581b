"""What the landing panel shows for a declared pipeline: each bronze table's source files."""

from __future__ import annotations

from lakeconsole.core.api import BronzeTable, Pipeline
from lakeconsole.core.settings import Settings


def waiting_files(settings: Settings, pipeline: Pipeline) -> set[str]:
    from lakeconsole.core.blocks.ledger import waiting_files as waiting

    return set().union(*(waiting(settings, b) for b in _bronze(pipeline)))


def rejected_files(settings: Settings, pipeline: Pipeline) -> dict[str, str]:
    from lakeconsole.core.blocks.ledger import rejected_files as rejected

    out: dict[str, str] = {}
    for b in _bronze(pipeline):
        out.update(rejected(settings, b))
    return out


def _bronze(pipeline: Pipeline) -> list[BronzeTable]:
    return [t for t in pipeline.declared.values() if isinstance(t, BronzeTable)]
