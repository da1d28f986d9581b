"""The schema contract check (OPS-06, core.contracts) as the sales steps use it before writing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakeconsole.core.tables import TableSpec

if TYPE_CHECKING:
    from lakeconsole.core.contracts import ContractDecision


class RebuildNeeded(Exception):
    """A declared schema drops or retypes columns of a table a MERGE cannot rewrite."""


def check_contract(spec: TableSpec, data_dir: Path) -> ContractDecision | None:
    """Refuse (ContractError) a schema change without the bump it needs (OPS-06)."""
    from lakeconsole.core.contracts import enforce_contract

    return enforce_contract(spec.path(data_dir), spec.schema, spec.version, spec.name)


def merge_schema(spec: TableSpec, decision: ContractDecision | None, how_to_rebuild: str) -> bool:
    """Whether a MERGE into `spec` must add columns; RebuildNeeded for a drop or type change."""
    if decision is None or decision.schema_mode is None:
        return False
    if decision.schema_mode == "overwrite":
        raise RebuildNeeded(
            f"{spec.name}: version {decision.version} drops or retypes columns, which a MERGE "
            f"cannot do. {how_to_rebuild}"
        )
    return True


def stamp_when_current(spec: TableSpec, data_dir: Path) -> None:
    """Set the table's version property to the declared one once its schema matches the
    declaration (after the write that evolved it), so a pending change is never hidden."""
    from lakeconsole.core.schema_version import stamp_version

    path = spec.path(data_dir)
    if not (path / "_delta_log").is_dir():
        return
    decision = check_contract(spec, data_dir)
    if decision is None or decision.diff.empty:
        stamp_version(path, spec.version)
