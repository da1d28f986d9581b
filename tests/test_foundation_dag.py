"""OPS-01: the pipeline is a DAG, checked when it is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeconsole.core.dag import Pipeline, PipelineError, Step, StepResult
from lakeconsole.core.events import Layer
from tests import pipelines


def noop(ctx: object) -> StepResult:
    return StepResult()


def test_a_cycle_is_refused_naming_the_steps() -> None:
    with pytest.raises(PipelineError, match=r"cycle: (a → b → a|b → a → b)"):
        Pipeline(pipelines.cyclic())


def test_an_unknown_dependency_is_refused_naming_it() -> None:
    with pytest.raises(PipelineError, match="'clean' depends on unknown step\\(s\\): ingets"):
        Pipeline(
            [Step("ingest", Layer.BRONZE, noop), Step("clean", Layer.SILVER, noop, ("ingets",))]
        )


def test_gold_cannot_feed_silver() -> None:
    with pytest.raises(PipelineError, match="layers run bronze → silver → gold"):
        Pipeline([Step("agg", Layer.GOLD, noop), Step("clean", Layer.SILVER, noop, ("agg",))])


def test_steps_run_in_layer_order_whatever_order_they_are_declared_in() -> None:
    p = Pipeline(list(reversed(pipelines.good())))
    assert p.order == ["ingest", "clean", "aggregate"]


def test_from_a_layer_selects_it_and_everything_downstream() -> None:
    p = Pipeline(pipelines.failing_bronze())
    assert p.select(start="silver") == ["clean", "aggregate"]
    assert p.select(start="ingest") == ["ingest", "clean", "aggregate"]
    assert p.select(only="clean") == ["clean"]


def test_unknown_start_lists_what_exists() -> None:
    p = Pipeline(pipelines.good())
    with pytest.raises(
        PipelineError, match=r"No step or layer named 'silverr'\. Steps: ingest, clean, aggregate"
    ):
        p.select(start="silverr")


def test_starting_at_silver_needs_bronze_built(tmp_path: Path) -> None:
    p = Pipeline(pipelines.good())
    assert p.missing_upstream(p.select(start="silver"), tmp_path) == ["ingest"]
    (tmp_path / "bronze/orders/_delta_log").mkdir(parents=True)
    assert p.missing_upstream(p.select(start="silver"), tmp_path) == []
