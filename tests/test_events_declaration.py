"""The events pipeline's declaration: what it declares, how it loads, its custom rule."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from lakeconsole.core.api import SilverTable
from lakeconsole.core.marts.readme import section_problems
from lakeconsole.core.pipeline import forget_loaded, load_pipeline
from lakeconsole.core.settings import load_settings
from lakeconsole.pipelines.events import (
    app_events,
    pipeline,
    properties_are_an_object,
)
from tests.conftest import REPO


def test_the_steps_run_bronze_then_silver_then_both_gold_tables() -> None:
    steps = {s.name: (s.layer.value, s.depends_on, s.outputs) for s in pipeline.steps()}
    assert steps == {
        "bronze_events": ("bronze", (), ("bronze/app_events_raw",)),
        "silver_events": ("silver", ("bronze_events",), ("silver/app_events",)),
        "gold_daily_active_users": (
            "gold",
            ("silver_events",),
            ("gold/product/daily_active_users",),
        ),
        "gold_daily_funnel": ("gold", ("silver_events",), ("gold/product/daily_funnel",)),
    }


def test_it_declares_its_tables_and_their_quarantine() -> None:
    assert list(pipeline.specs()) == [
        "bronze/app_events_raw",
        "quarantine/app_events_files_rejected",
        "silver/app_events",
        "quarantine/app_events_rejected",
        "gold/product/daily_active_users",
        "gold/product/daily_funnel",
    ]
    silver = app_events.spec
    assert (silver.key, silver.partition_by, silver.zorder_by) == (
        ("event_id",),
        ("event_date",),
        ("user_id",),
    )
    assert silver.schema.field("event_ts").type == pa.timestamp("us", tz="UTC")
    assert silver.schema.field("event_date").type == pa.date32()
    funnel = pipeline.specs()["gold/product/daily_funnel"]
    assert funnel.schema.field("conversion_from_previous").type == pa.float64()
    assert funnel.mart == "product"


def test_silver_checks_the_rules_in_the_order_the_readme_lists() -> None:
    assert isinstance(app_events, SilverTable)
    assert [r.name for r in app_events.rules] == [
        "event_id_missing",
        "user_id_missing",
        "session_id_missing",
        "event_ts_unparseable",
        "event_type_unknown",
        "platform_unknown",
        "properties_not_json",
    ]
    assert {d.column: d.function for d in app_events.derive} == {
        "event_date": "date",
        "event_type": "lower",
    }


def test_declaring_it_imports_no_pyarrow_or_deltalake() -> None:
    code = (
        "import sys, lakeconsole.pipelines.events as e; e.pipeline.steps(); "
        "print(sorted(m for m in ('pyarrow', 'deltalake', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["events", "lakeconsole.pipelines.events:pipeline"])
def test_it_loads_by_its_entry_point_or_module(name: str, env: dict[str, str]) -> None:
    forget_loaded()
    loaded = load_pipeline(load_settings({**env, "LAKECONSOLE_PIPELINE": name}))
    assert loaded.name == "events"
    assert loaded.declared is pipeline
    assert list(loaded.marts()) == ["product"]
    assert loaded.table("silver/app_events") == app_events.spec
    forget_loaded()


def test_the_mart_readme_template_has_every_required_section() -> None:
    assert pipeline.readme_templates is not None
    text = (pipeline.readme_templates / "product.md").read_text(encoding="utf-8")
    assert section_problems(text) == ((), ())
    assert "<!-- columns:start -->" in text and "<!-- columns:end -->" in text


def test_properties_must_be_a_json_object_or_empty() -> None:
    values = [
        '{"item_id":"I0001","price":12.5}',  # what the app sends
        "{}",
        "",
        None,
        ' { "a" : 1 , "b" : "x\\"y" } ',  # spacing and an escaped quote
        '{"cart":{"items":[1,2]}}',  # nested: not the fast path, still valid
        " \u3000\t",  # blanks alone, Unicode ones too: empty, as silver trims
        '{"event_id":"E1","user_id":"',  # a line cut short
        "[1, 2]",  # JSON, but not an object
        "null",
        "{'a': 1}",  # Python, not JSON
        '{"a":1}}',
    ]
    passes = properties_are_an_object(pa.table({"properties": pa.array(values, pa.string())}))
    assert passes.to_pylist() == [True] * 7 + [False] * 5


def test_the_properties_rule_takes_string_views_as_datafusion_gives_them() -> None:
    rows = pa.table({"properties": pa.array(['{"a":1}', "[]"], pa.string_view())})
    assert properties_are_an_object(rows).to_pylist() == [True, False]
