"""Mart READMEs (OPS-05): required sections, the template, the generated column dictionary."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lakeconsole.core.contracts import declared_tables
from lakeconsole.core.marts.dictionary import (
    END,
    START,
    dictionary_current,
    refresh_dictionary,
    refresh_mart,
)
from lakeconsole.core.marts.readme import (
    REQUIRED_SECTIONS,
    MartError,
    find_marts,
    new_mart,
    readme_state,
    text_state,
)
from lakeconsole.core.schema_version import open_or_create
from lakeconsole.core.settings import Settings
from tests.governance_fixtures import COMPLETE_README, ORDERS, make_mart, write_versioned
from tests.sales_tables import GOLD_DAILY_REVENUE


def test_a_readme_with_the_three_sections_is_complete(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(COMPLETE_README)
    assert readme_state(tmp_path).label() == "complete"


def test_a_mart_without_readme_is_missing(tmp_path: Path) -> None:
    state = readme_state(tmp_path)
    assert state.status == "missing" and state.label() == "missing README.md"


def test_missing_and_empty_sections_are_named() -> None:
    text = "# Mart\n\n## Business Definition\n<!-- to do -->\n\n## Refresh Rate\nDaily\n"
    state = text_state(text)
    assert state.missing == ("Owner",) and state.empty == ("Business Definition",)
    assert state.label() == "missing sections: Owner, Business Definition (empty)"


def test_headings_match_loosely_but_not_inside_code() -> None:
    loose = "### business definition:\nNet\n## OWNER\nCFO\n## Refresh rate\nDaily 8 AM\n"
    assert text_state(loose).complete
    fenced = "## Business Definition\nNet\n```\n## Owner\nCFO\n```\n## Refresh Rate\nDaily\n"
    assert text_state(fenced).missing == ("Owner",)


def test_a_subsection_counts_as_text_of_its_section() -> None:
    text = "## Business Definition\n### Net Revenue\n(Price × Qty) − Tax\n## Owner\nCFO\n"
    assert text_state(text + "## Refresh Rate\nDaily\n").complete


def test_a_new_mart_starts_from_the_template(tmp_path: Path) -> None:
    readme = new_mart(tmp_path, "finance")
    assert readme == tmp_path / "gold" / "finance" / "README.md"
    text = readme.read_text()
    assert all(f"## {section}" in text for section in REQUIRED_SECTIONS)
    assert START in text and END in text
    # The template's hints are comments: the sections still need writing.
    assert readme_state(readme.parent).empty == REQUIRED_SECTIONS
    with pytest.raises(MartError, match="already exists"):
        new_mart(tmp_path, "finance")
    with pytest.raises(MartError, match="not a mart name"):
        new_mart(tmp_path, "../etc")


def test_marts_are_folders_under_gold_with_tables(tmp_path: Path) -> None:
    make_mart(tmp_path, "sales")
    write_versioned(tmp_path / "gold" / "loose_table", ORDERS, "1.0.0")  # a table, not a mart
    (tmp_path / "gold" / "empty").mkdir()
    marts = find_marts(tmp_path)
    assert [(m.name, [t.name for t in m.tables]) for m in marts] == [("sales", ["daily"])]


def _sales_mart(settings: Settings, readme: str) -> Path:
    spec = GOLD_DAILY_REVENUE
    open_or_create(spec.path(settings.data_dir), spec.schema, spec.version)
    mart = settings.data_dir / "gold" / "sales"
    (mart / "README.md").write_text(readme)
    return mart


def test_column_dictionary_lists_columns_types_and_descriptions(settings: Settings) -> None:
    mart = _sales_mart(settings, COMPLETE_README)
    declared = declared_tables(settings)
    [found] = find_marts(settings.data_dir)
    assert not dictionary_current(found, settings.data_dir, declared)
    assert refresh_dictionary(found, settings.data_dir, declared)
    text = (mart / "README.md").read_text()
    assert text.startswith(COMPLETE_README)  # the user's text is left alone
    assert "### `daily_revenue` (version 1.0.0)" in text
    assert "| `net_revenue` | decimal(20,2) | Net Revenue = Σ(price × qty) − Σ tax |" in text
    assert dictionary_current(found, settings.data_dir, declared)
    assert not refresh_dictionary(found, settings.data_dir, declared)  # nothing to change


def test_column_dictionary_follows_a_schema_change_and_keeps_user_text(settings: Settings) -> None:
    mart = _sales_mart(settings, COMPLETE_README)
    declared = declared_tables(settings)
    [found] = find_marts(settings.data_dir)
    refresh_dictionary(found, settings.data_dir, declared)
    readme = mart / "README.md"
    # The user describes a column the definition does not know and adds a note after the block.
    evolved = GOLD_DAILY_REVENUE.schema.append(pa.field("margin", pa.float64()))
    write_versioned(
        GOLD_DAILY_REVENUE.path(settings.data_dir),
        evolved,
        "1.1.0",
        mode="append",
        schema_mode="merge",
    )
    refresh_dictionary(found, settings.data_dir, declared)
    text = readme.read_text()
    text = text.replace("| `margin` | double |  |", "| `margin` | double | Net − cost |")
    readme.write_text(text + "\nAsk Jo about margins.\n")
    assert refresh_dictionary(found, settings.data_dir, declared) is False
    text = readme.read_text()
    assert "| `margin` | double | Net − cost |" in text
    assert text.endswith("Ask Jo about margins.\n")


def test_refresh_mart_is_one_call_for_the_pipeline(settings: Settings) -> None:
    mart = _sales_mart(settings, COMPLETE_README)
    assert refresh_mart(settings, "sales") is True
    assert "| `line_count` | long | Order lines |" in (mart / "README.md").read_text()
    assert refresh_mart(settings, "sales") is False
    assert refresh_mart(settings, "no_such_mart") is False
