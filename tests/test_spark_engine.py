"""Heavy steps on a Spark Connect endpoint (issue 16, deliverable 4): the shipped pipelines'
silver and gold steps on a LakeSail server on 127.0.0.1 give the local engine's tables, under
the same contracts; without the client, or with a setting that cannot hold, nothing runs."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from lakeconsole.core.dag import PipelineError
from lakeconsole.core.engines.remote import shown_remote
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import RunOutcome, run_pipeline
from lakeconsole.core.runs import load_runs
from lakeconsole.core.settings import load_settings
from tests.conftest import REPO, Shipped
from tests.spark_fixtures import sail_remote

__all__ = ["sail_remote"]  # a fixture, used by name

DATABRICKS = (
    "sc://adb-1.azuredatabricks.net:443/;token=dapi-very-secret-1;x-databricks-cluster-id=0"
)


def run(shipped: Shipped, **kw: Any) -> RunOutcome:
    return run_pipeline(load_pipeline(shipped.settings), shipped.settings, **kw)


def on_spark(shipped: Shipped, remote: str, **extra: str) -> Shipped:
    env = {**shipped.env, "LAKECONSOLE_SPARK_REMOTE": remote, **extra}
    return Shipped(shipped.name, env, load_settings(env))


def bronze_step(shipped: Shipped) -> str:
    pipeline = load_pipeline(shipped.settings)
    return next(n for n in pipeline.order if pipeline.steps[n].layer.value == "bronze")


def commit_versions(shipped: Shipped) -> dict[str, list[dict[str, Any]]]:
    """Each table's commits, oldest first: operation and the userMetadata stamped on it."""
    from deltalake import DeltaTable

    out = {}
    for name in shipped.declared.specs():
        path = shipped.settings.data_dir / name
        if (path / "_delta_log").is_dir():
            out[name] = [
                {"operation": h["operation"], "userMetadata": json.loads(h["userMetadata"])}
                for h in reversed(DeltaTable(str(path)).history())
            ]
    return out


def step_engines(shipped: Shipped) -> dict[str, str]:
    record = load_runs(shipped.settings.state_dir, limit=1)[0]
    return {s.name: s.engine for s in record.steps}


def counts(outcome: RunOutcome) -> dict[str, tuple[int, int, dict[str, Any]]]:
    """Each step's records and details (the README's path, which names the lake, left out)."""
    return {
        n: (
            r.records_in,
            r.records_out,
            {k: v for k, v in r.details.items() if k != "readme_written"},
        )
        for n, r in outcome.results.items()
    }


@pytest.mark.slow
def test_silver_and_gold_on_sail_give_the_local_engines_tables(
    shipped: Shipped, sail_remote, tmp_path: Any
) -> None:
    shipped.write_demo(rows=2000, files=3)
    assert run(shipped, only=bronze_step(shipped)).status == RunStatus.SUCCEEDED
    sail = on_spark(shipped.elsewhere(tmp_path / "sail"), sail_remote)
    sail.take_lake(shipped.settings.data_dir)  # the same bronze lines, the same ingest times

    local, remote = run(shipped, start="silver"), run(sail, start="silver")

    assert remote.status == RunStatus.SUCCEEDED, remote.error
    assert sail.snapshot() == shipped.snapshot()
    assert sail.versions() == shipped.versions()
    assert commit_versions(sail) == commit_versions(shipped)  # version in every userMetadata
    assert counts(remote) == counts(local)  # read, quarantined, superseded, inserted: the same
    engines = step_engines(sail)
    assert {engines[n] for n in remote.results} == {f"spark {sail_remote}"}
    assert set(step_engines(shipped).values()) == {"local"}

    # The next day's files, re-sent lines among them: bronze here, silver and gold there.
    for lake in (shipped, sail):
        lake.write_demo(rows=600, files=1, after=2000, seed=7)
    local, remote = run(shipped), run(sail)
    assert remote.status == RunStatus.SUCCEEDED, remote.error
    assert sail.snapshot() == shipped.snapshot()
    assert counts(remote) == counts(local)
    engines = step_engines(sail)
    assert engines[bronze_step(sail)] == "local"

    # Nothing new: nothing committed on either engine.
    before = sail.versions()
    assert run(sail).status == RunStatus.SUCCEEDED
    assert sail.versions() == before


def test_a_run_without_the_spark_client_names_the_extra_and_runs_nothing(
    shipped: Shipped,
) -> None:
    shipped.write_demo(rows=50, files=1)
    env = {**shipped.env, "LAKECONSOLE_SPARK_REMOTE": "sc://127.0.0.1:15002"}
    without_pyspark = (
        "import sys; sys.modules['pyspark'] = None; "
        "from lakeconsole.cli.main import main; sys.exit(main(['run']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", without_pyspark],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "✗ Pipeline Failed: LAKECONSOLE_SPARK_REMOTE is set, but the Spark Connect client is "
        "not installed: pip install 'lakeconsole[spark]' (or unset LAKECONSOLE_SPARK_REMOTE to "
        "run every step here)"
    ]
    assert shipped.versions() == {}  # not even bronze ran
    assert load_runs(shipped.settings.state_dir, limit=1) == []


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ("bronze", "bronze runs here: its ingestion ledger reads the landing files"),
        ("silver,platinum", "'platinum' is neither silver, gold nor one of their steps"),
    ],
)
def test_spark_steps_that_cannot_run_there_are_refused_before_anything_runs(
    shipped: Shipped, steps: str, said: str
) -> None:
    shipped.write_demo(rows=50, files=1)
    spark = on_spark(shipped, "sc://127.0.0.1:15002", LAKECONSOLE_SPARK_STEPS=steps)
    with pytest.raises(PipelineError, match="Setting LAKECONSOLE_SPARK_STEPS") as refused:
        run(spark)
    assert said in str(refused.value)
    assert spark.versions() == {}


def test_only_the_named_layer_runs_on_spark(shipped: Shipped, sail_remote) -> None:
    shipped.write_demo(rows=300, files=1)
    spark = on_spark(shipped, sail_remote, LAKECONSOLE_SPARK_STEPS="gold")
    done = cli(spark, "run")
    assert done.returncode == 0, done.stderr
    pipeline = load_pipeline(spark.settings)
    layers = {n: pipeline.steps[n].layer.value for n in pipeline.order}
    engines = step_engines(spark)
    assert {layers[n]: e for n, e in engines.items()} == {
        "bronze": "local",
        "silver": "local",
        "gold": f"spark {sail_remote}",
    }
    gold = [n for n, layer in layers.items() if layer == "gold"]
    for step in gold:
        assert f"--- Gold: {step} (on spark {sail_remote}) ---" in done.stdout
    assert "--- Silver: " in done.stdout and "(on " not in done.stdout.split("--- Gold")[0]
    shown = cli(spark, "runs", load_runs(spark.settings.state_dir, limit=1)[0].run_id).stdout
    assert f"{', '.join(gold)} ran on spark {sail_remote}; the others ran here" in shown


def cli(shipped: Shipped, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeconsole.cli.main", *args],
        env=shipped.env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_endpoint_that_is_not_there_fails_the_step_in_one_line_without_its_token(
    shipped: Shipped,
) -> None:
    from tests.backup_fixtures import free_port

    pytest.importorskip("pyspark")
    shipped.write_demo(rows=50, files=1)
    remote = f"sc://127.0.0.1:{free_port()}/;token=dapi-very-secret-2"
    spark = on_spark(shipped, remote)
    outcome = run(spark)
    assert outcome.status == RunStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.endswith(
        "cannot be reached (Connection refused): start it (on this machine: sail spark server "
        f"--port {remote.split(':')[2].split('/')[0]}) or fix LAKECONSOLE_SPARK_REMOTE"
    )
    record = (spark.settings.state_dir / "runs").glob("*.json")
    assert not any("dapi-very-secret-2" in f.read_text() for f in record)
    assert f"spark {shown_remote(remote)}" in step_engines(spark).values()
    assert "dapi-very-secret-2" not in shown_remote(remote)


def test_the_remote_is_shown_without_its_credentials_and_they_are_redacted(
    shipped: Shipped,
) -> None:
    spark = on_spark(shipped, DATABRICKS)
    assert shown_remote(DATABRICKS) == "sc://adb-1.azuredatabricks.net:443"
    assert shown_remote("sc://me:pass-word@host") == "sc://host:15002"
    assert "dapi-very-secret-1" in spark.settings.secret_values()
    assert "dapi-very-secret-1" not in repr(spark.settings)


VISITS = """
from lakeconsole import Pipeline, col, landing, rule

pipeline = Pipeline("visits")
raw = pipeline.bronze(
    "bronze/visits_raw",
    source=landing("visits_*.csv", columns=["store", "visit", "day", "amount", "kind", "ok"]),
)


def is_big(rows):
    import pyarrow.compute as pc

    return pc.greater(rows["amount"], 100)


def ok_is_true(rows):
    return rows["ok"]


visits = pipeline.silver(
    "silver/visits",
    from_=raw,
    key=("store", "visit"),
    partition_by=("day",),
    columns=[
        col("store"), col("visit", "int32"), col("day", "date"),
        col("amount", "decimal(6,2)", problem="is not an amount"),
        col("kind"), col("ok", "bool"), col("big", "bool"),
    ],
    derive={"kind": "lower(kind)", "big": is_big},
    rules=[
        rule.not_null("store"), rule.at_least("visit", 1), rule.at_most("amount", 500),
        rule.one_of("kind", ["in", "out"]), rule.check("ok_is_true", "ok", ok_is_true),
    ],
)
pipeline.gold(
    "gold/stores/daily_visits",
    reads=[visits],
    columns=[col("day", "date"), col("store"), col("visits", "int64"), col("big", "int64")],
    key=("day", "store"),
    partition_by=("day",),
    sql="SELECT day, store, count(*) AS visits, sum(CASE WHEN big THEN 1 ELSE 0 END) AS big "
    "FROM visits WHERE day IN {changed} GROUP BY day, store",
)
"""
VISIT_LINES = [
    "store,visit,day,amount,kind,ok",
    " S1 ,1,2026-11-01,12.50, OUT ,true",
    "S1,2,2026-11-01,150,in,true",
    "  ,3,2026-11-01,1,in,true",
    "S2,x,2026-11-02,1,in,true",
    "S2,0,2026-11-02,1,in,true",
    "S2,4,2026-02-30,1,in,true",
    "S2,5,2026-11-02,1.234,in,true",
    "S2,6,2026-11-02,600,in,true",
    "S2,7,2026-11-02,1,Maybe,true",
    "S2,8,2026-11-02,1,in,false",
    "S2,9,2026-11-02,1,in,perhaps",
    "S1,1,2026-11-03,13.00,in,true",  # the same key again, later in the file: it wins
]


@pytest.mark.slow
def test_a_projects_own_pipeline_with_its_own_functions_runs_on_sail_as_here(
    tmp_path: Any, env: dict[str, str], sail_remote
) -> None:
    from lakeconsole.core.settings import load_settings

    lakes = {}
    for name in ("here", "sail"):
        home = tmp_path / name
        home.mkdir()
        # The module sits next to .env, on no path of the Sail server: its functions travel.
        (home / "visits_pipeline.py").write_text(VISITS)
        (home / ".env").write_text("LAKECONSOLE_PIPELINE=visits_pipeline:pipeline\n")
        (home / "data" / "landing").mkdir(parents=True)
        (home / "data" / "landing" / "visits_1.csv").write_text("\n".join(VISIT_LINES) + "\n")
        lake_env = {**env, "LAKECONSOLE_HOME": str(home)}
        if name == "sail":
            lake_env["LAKECONSOLE_SPARK_REMOTE"] = sail_remote
        lakes[name] = Shipped("visits", lake_env, load_settings(lake_env))
    here, sail = lakes["here"], lakes["sail"]
    assert run(here).status == RunStatus.SUCCEEDED
    outcome = run(sail)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    assert set(step_engines(sail).values()) == {"local", f"spark {sail_remote}"}
    for table in ("silver/visits", "quarantine/visits_rejected", "gold/stores/daily_visits"):
        assert sail.rows(table) == here.rows(table), table
    assert [
        r["rule"]
        for r in sorted(sail.rows("quarantine/visits_rejected"), key=lambda r: r["_source_row"])
    ] == [
        "store_missing",
        "visit_invalid",
        "visit_too_low",
        "day_invalid",
        "amount_invalid",
        "amount_too_high",
        "kind_not_allowed",
        "ok_is_true",
        "ok_invalid",
    ]
    assert [(r["store"], r["visit"], r["kind"], r["big"]) for r in sail.rows("silver/visits")] == [
        ("S1", 1, "in", False),
        ("S1", 2, "in", True),
    ]


def test_a_run_started_from_python_c_reaches_sail(shipped: Shipped, sail_remote) -> None:
    """pyspark's client exits a process whose __main__ has no file (it takes it for a doctest
    run without SPARK_HOME): `python -c`, a pytest-xdist worker, an embedding host."""
    shipped.write_demo(rows=100, files=1)
    env = {**shipped.env, "LAKECONSOLE_SPARK_REMOTE": sail_remote}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from lakeconsole.cli.main import main; sys.exit(main(['run']))",
        ],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"(on spark {sail_remote})" in done.stdout
