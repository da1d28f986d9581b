"""Schema contracts (OPS-06) on real Delta tables: a schema change needs the right version bump."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.contracts import (
    Bump,
    ContractError,
    SemVer,
    check_schema_change,
    enforce_contract,
    parse_version,
    schema_changes,
    schema_diff,
    table_schema,
    table_version,
    version_history,
)
from lakeconsole.core.schema_version import VERSION_PROPERTY, open_or_create
from tests.governance_fixtures import ORDERS, rows, write_versioned

WITH_DISCOUNT = ORDERS.append(pa.field("discount", pa.float64()))
WITHOUT_QTY = pa.schema([("order_id", pa.string())])


def contracted_write(path: Path, schema: pa.Schema, version: str) -> None:
    """What a silver/gold step does: one contract call, then the write it allows."""
    decision = enforce_contract(path, schema, version)
    write_deltalake(
        str(path),
        rows(schema),
        mode="overwrite",
        schema_mode=decision.schema_mode,
        commit_properties=decision.commit_properties(),
    )


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "gold" / "sales" / "daily"
    write_versioned(path, ORDERS, "1.0.0")
    return path


def test_versions_compare_as_versions_not_as_text() -> None:
    assert parse_version("1.10.0") > parse_version("1.9.0")
    assert parse_version("v2.0.1") == SemVer(2, 0, 1)
    with pytest.raises(ContractError, match="not a semantic version"):
        parse_version("1.2")


def test_added_column_without_bump_is_refused_and_nothing_committed(table: Path) -> None:
    before = DeltaTable(str(table)).version()
    with pytest.raises(ContractError) as refused:
        contracted_write(table, WITH_DISCOUNT, "1.0.0")
    message = str(refused.value)
    assert "+ discount: double" in message
    assert "not a minor bump" in message and "1.1.0" in message
    assert DeltaTable(str(table)).version() == before
    assert table_schema(table).names == ["order_id", "qty"]


def test_a_patch_bump_is_not_enough_for_an_added_column(table: Path) -> None:
    with pytest.raises(ContractError, match="not a minor bump"):
        contracted_write(table, WITH_DISCOUNT, "1.0.1")


def test_added_column_with_minor_bump_evolves_the_schema(table: Path) -> None:
    decision = enforce_contract(table, WITH_DISCOUNT, "1.1.0")
    assert decision.schema_mode == "merge"
    contracted_write(table, WITH_DISCOUNT, "1.1.0")
    contracted_write(table, WITH_DISCOUNT, "1.1.0")  # the next run, unchanged
    assert table_schema(table).names == ["order_id", "qty", "discount"]
    assert [v for _, v in version_history(table)] == ["1.1.0", "1.1.0", "1.0.0"]
    assert table_version(table) == "1.1.0"


def test_dropped_column_needs_a_major_bump(table: Path) -> None:
    with pytest.raises(ContractError) as refused:
        contracted_write(table, WITHOUT_QTY, "1.1.0")
    assert "- qty: long" in str(refused.value)
    assert "not a major bump" in str(refused.value) and "2.0.0" in str(refused.value)
    assert enforce_contract(table, WITHOUT_QTY, "2.0.0").schema_mode == "overwrite"
    contracted_write(table, WITHOUT_QTY, "2.0.0")
    assert table_schema(table).names == ["order_id"]
    assert table_version(table) == "2.0.0"


def test_type_change_and_rename_need_a_major_bump() -> None:
    retyped = pa.schema([("order_id", pa.string()), ("qty", pa.int32())])
    renamed = pa.schema([("order_id", pa.string()), ("quantity", pa.int64())])
    assert schema_diff(ORDERS, retyped).changed == [("qty", "long", "integer")]
    diff = schema_diff(ORDERS, renamed)
    assert (diff.added, diff.removed) == ([("quantity", "long")], [("qty", "long")])
    assert diff.required_bump is Bump.MAJOR
    for new in (retyped, renamed):
        with pytest.raises(ContractError, match="major"):
            check_schema_change(ORDERS, "1.4.2", new, "1.5.0")
        check_schema_change(ORDERS, "1.4.2", new, "2.0.0")


def test_string_flavours_are_the_same_type() -> None:
    large = pa.schema([("order_id", pa.large_string()), ("qty", pa.int64())])
    assert schema_diff(ORDERS, large).empty


def test_unchanged_schema_keeps_its_version_and_writes_plainly(table: Path) -> None:
    decision = enforce_contract(table, ORDERS, "1.0.0")
    assert decision.schema_mode is None and decision.diff.empty


def test_a_declared_version_older_than_the_table_is_refused(table: Path) -> None:
    with pytest.raises(ContractError, match=re.escape("older than the table's 1.0.0")):
        enforce_contract(table, ORDERS, "0.9.0")


def test_a_new_table_takes_its_first_version(tmp_path: Path) -> None:
    decision = enforce_contract(tmp_path / "silver" / "new", ORDERS, "1.0.0")
    assert decision.previous is None and decision.schema_mode is None


def test_version_is_read_from_the_table_property_the_pipeline_keeps(tmp_path: Path) -> None:
    path = tmp_path / "silver" / "orders"
    open_or_create(path, ORDERS, "1.2.0")
    assert DeltaTable(str(path)).metadata().configuration[VERSION_PROPERTY] == "1.2.0"
    assert table_version(path) == "1.2.0"
    with pytest.raises(ContractError, match=re.escape("1.3.0")):
        enforce_contract(path, WITH_DISCOUNT, "1.2.0")


def test_version_survives_maintenance_commits_without_metadata(table: Path) -> None:
    dt = DeltaTable(str(table))
    dt.alter.set_table_properties({"delta.deletedFileRetentionDuration": "interval 7 days"})
    assert version_history(table, 1) == [(1, None)]
    assert table_version(table) == "1.0.0"


def test_history_shows_a_schema_change_made_without_a_bump(table: Path) -> None:
    # A write that went around the contract: new column, same version.
    write_versioned(table, WITH_DISCOUNT, "1.0.0", mode="append", schema_mode="merge")
    [change] = schema_changes(table)
    assert (change.commit, change.diff.summary()) == (1, "added discount")
    versions = (str(change.before), str(change.after), str(change.required))
    assert versions == ("1.0.0", "1.0.0", "1.1.0")
    assert not change.bumped_enough


def test_history_of_contracted_writes_has_every_change_bumped(tmp_path: Path) -> None:
    path = tmp_path / "silver" / "orders"
    open_or_create(path, ORDERS, "1.0.0")
    contracted_write(path, ORDERS, "1.0.0")
    decision = enforce_contract(path, WITH_DISCOUNT, "1.1.0")
    open_or_create(path, WITH_DISCOUNT, "1.1.0")  # the pipeline stamps the property first
    write_deltalake(
        str(path),
        rows(WITH_DISCOUNT),
        mode="overwrite",
        schema_mode=decision.schema_mode,
        commit_properties=decision.commit_properties(),
    )
    [change] = schema_changes(path)
    assert change.diff.summary() == "added discount" and change.bumped_enough
