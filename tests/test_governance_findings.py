"""Governance findings as the dashboard reads them (`findings(settings)`), for the cases the CLI
tests do not cover."""

from __future__ import annotations

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.governance import Finding, findings
from lakeconsole.core.schema_version import VERSION_PROPERTY
from lakeconsole.core.settings import Settings
from tests.governance_fixtures import ORDERS, clean_project, rows, write_versioned
from tests.sales_tables import GOLD_DAILY_REVENUE, SILVER_ORDERS


def _ops06(settings: Settings) -> list[Finding]:
    return [f for f in findings(settings) if f.code == "OPS-06"]


def test_a_silver_table_without_a_contract_is_reported(settings: Settings) -> None:
    clean_project(settings.home)
    write_versioned(settings.data_dir / "silver" / "returns", ORDERS, "1.0.0")
    [finding] = _ops06(settings)
    assert finding.subject == "silver/returns"
    assert finding.message.startswith("no contract: declare its schema and version")


def test_a_table_without_any_version_is_reported(settings: Settings) -> None:
    clean_project(settings.home)
    spec = SILVER_ORDERS
    write_deltalake(str(spec.path(settings.data_dir)), rows(spec.schema))  # no userMetadata
    [finding] = _ops06(settings)
    assert finding.subject == "silver/sales_orders"
    assert finding.message.startswith("no schema version recorded")


def test_bronze_and_quarantine_carry_no_contract(settings: Settings) -> None:
    clean_project(settings.home)
    write_deltalake(str(settings.data_dir / "bronze" / "extra"), rows(ORDERS))
    assert _ops06(settings) == []


def test_a_table_with_an_unreadable_commit_is_a_damage_finding_not_a_crashed_check(
    settings: Settings,
) -> None:
    clean_project(settings.home)
    broken = settings.data_dir / "silver" / "broken" / "_delta_log"
    broken.mkdir(parents=True)
    (broken / "00000000000000000000.json").write_text("not json\n")
    found = findings(settings)
    assert [f.line() for f in found if f.subject == "silver/broken"] == [
        "DAMAGE silver/broken: table silver/broken is damaged: commit 0 "
        "(_delta_log/00000000000000000000.json) is unreadable. Restore the lake from a backup "
        "(`lakeconsole restore`)"
    ]
    assert not any(f.subject == "check" for f in found)
    assert found == sorted(found)


def test_a_check_that_cannot_run_is_itself_a_finding(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:

    import lakeconsole.core.governance

    clean_project(settings.home)

    def unreadable(settings: Settings) -> list[Finding]:
        raise OSError("[Errno 5] Input/output error")

    monkeypatch.setattr(
        lakeconsole.core.governance,
        "CHECKS",
        (*lakeconsole.core.governance.CHECKS, ("OPS-05", unreadable)),
    )
    found = findings(settings)
    assert any(f.subject == "check" and "could not run unreadable" in f.message for f in found)
    assert found == sorted(found)


def test_a_schema_change_committed_without_a_bump_is_reported_until_bumped(
    settings: Settings,
) -> None:
    clean_project(settings.home)
    path = GOLD_DAILY_REVENUE.path(settings.data_dir)
    wider = GOLD_DAILY_REVENUE.schema.append(pa.field("discount", pa.float64()))
    write_versioned(path, wider, "1.0.0", mode="append", schema_mode="merge")
    history = [f for f in _ops06(settings) if "commit" in f.message]
    assert [f.subject for f in history] == ["gold/sales/daily_revenue"]
    assert "commit 1 changed the schema (added discount)" in history[0].message
    assert "declare 1.1.0 or later" in history[0].message
    write_versioned(path, wider, "1.1.0", mode="append")
    DeltaTable(str(path)).alter.set_table_properties(
        {VERSION_PROPERTY: "1.1.0"}, raise_if_not_exists=False
    )
    assert not [f for f in _ops06(settings) if "commit" in f.message]


def test_a_pipeline_that_declares_no_contracts_is_checked_without_them(
    env: dict[str, str],
) -> None:
    from lakeconsole.core.settings import load_settings

    settings = load_settings({**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"})
    write_deltalake(str(settings.data_dir / "silver" / "orders"), rows(ORDERS))
    assert _ops06(settings) == []
    assert [f.code for f in findings(settings)] == ["OPS-07"]  # only: never backed up
