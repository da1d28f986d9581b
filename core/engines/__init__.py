"""Where each step runs: here (`local`) or on a Spark Connect endpoint (`spark sc://host:port`).

`LAKECONSOLE_SPARK_REMOTE=sc://host:15002` names the endpoint (Databricks through Databricks
Connect, a Spark 4 cluster, a LakeSail server); `LAKECONSOLE_SPARK_STEPS` says which layers
(`silver`, `gold`) or steps run there, silver and gold when it is empty. Bronze always runs here:
its ingestion ledger reads the landing files. A `@pipeline.step` is any Python: it runs here too.

Whatever runs where, the engine's contracts are the same (core/engines/spark.py says how): this
module only decides, and imports neither pyspark nor pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.util import find_spec
from typing import TYPE_CHECKING

from lakeconsole.core.dag import PipelineError
from lakeconsole.core.engines.remote import BadRemote, parse_remote, shown_remote

if TYPE_CHECKING:
    from lakeconsole.core.api import Table
    from lakeconsole.core.dag import Pipeline
    from lakeconsole.core.settings import Settings

LOCAL = "local"
SPARK_LAYERS = ("silver", "gold")
EXTRA = "pip install 'lakeconsole[spark]'"


def spark_names(settings: Settings) -> set[str]:
    """The layers and step names LAKECONSOLE_SPARK_STEPS lists (default: silver and gold)."""
    given = {n.strip() for n in settings.spark_steps.split(",") if n.strip()}
    return given or set(SPARK_LAYERS)


def on_spark(settings: Settings, table: Table) -> bool:
    """Whether the block step writing `table` runs on the Spark Connect endpoint."""
    if not settings.spark_remote or table.layer not in SPARK_LAYERS:
        return False
    names = spark_names(settings)
    return table.layer in names or table.step in names


def spark_label(settings: Settings) -> str:
    """What the records and the console say of a step run there: `spark sc://host:port`."""
    return f"spark {shown_remote(settings.spark_remote)}"


def step_engines(pipeline: Pipeline, selected: Iterable[str], settings: Settings) -> dict[str, str]:
    """The engine of each selected step. Raises PipelineError, before anything runs, when the
    Spark settings name what cannot run there or the Spark client is not installed."""
    selected = list(selected)
    if not settings.spark_remote:
        return dict.fromkeys(selected, LOCAL)
    try:
        parse_remote(settings.spark_remote)
    except BadRemote as exc:
        raise PipelineError(f"Setting LAKECONSOLE_SPARK_REMOTE: {exc}") from None
    tables = _block_tables(pipeline)
    _check_names(settings, pipeline, tables)
    engines = {
        name: spark_label(settings)
        if name in tables and on_spark(settings, tables[name])
        else LOCAL
        for name in selected
    }
    if any(e != LOCAL for e in engines.values()) and find_spec("pyspark") is None:
        raise PipelineError(
            "LAKECONSOLE_SPARK_REMOTE is set, but the Spark Connect client is not installed: "
            f"{EXTRA} (or unset LAKECONSOLE_SPARK_REMOTE to run every step here)"
        )
    return engines


def _block_tables(pipeline: Pipeline) -> dict[str, Table]:
    """Step name → the table its engine block writes (a declared pipeline's; {} otherwise)."""
    declared = getattr(pipeline, "declared", None)
    if declared is None:
        return {}
    return {t.step: t for t in declared.declared.values() if t.step in pipeline.steps}


def _check_names(settings: Settings, pipeline: Pipeline, tables: dict[str, Table]) -> None:
    heavy = sorted(n for n, t in tables.items() if t.layer in SPARK_LAYERS)
    for name in sorted(spark_names(settings)):
        if name in SPARK_LAYERS or name in heavy:
            continue
        step = pipeline.steps.get(name)
        if name == "bronze" or (step is not None and step.layer.value == "bronze"):
            why = "bronze runs here: its ingestion ledger reads the landing files"
        elif step is not None:
            why = f"{name} is a @step (any Python): it runs here"
        else:
            why = f"'{name}' is neither silver, gold nor one of their steps ({', '.join(heavy)})"
        raise PipelineError(
            f"Setting LAKECONSOLE_SPARK_STEPS: {why}. List silver, gold or their steps"
        )


__all__ = ["LOCAL", "on_spark", "spark_label", "step_engines"]
