"""A step that found nothing to do is skipped at the next run while nothing it depends on
changed (core/quiet_marks.py), and runs again the moment anything does."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from deltalake import DeltaTable

from lakeconsole import Pipeline, StepContext, StepResult, col
from lakeconsole.core.dag import Pipeline as Dag
from lakeconsole.core.events import RunStatus, StepStarted
from lakeconsole.core.pipeline import forget_loaded, load_pipeline
from lakeconsole.core.quiet_marks import UNCHANGED
from lakeconsole.core.runner import RunOutcome, run_pipeline
from lakeconsole.core.settings import Settings, load_settings
from tests.conftest import REPO, Shipped


def _run(shipped: Shipped) -> RunOutcome:
    settings = load_settings(shipped.env)
    outcome = run_pipeline(load_pipeline(settings), settings)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    return outcome


def _skipped(outcome: RunOutcome) -> set[str]:
    return {n for n, r in outcome.results.items() if UNCHANGED in r.details}


def _settled(shipped: Shipped) -> RunOutcome:
    """A lake with data, run until every step has found nothing to do once."""
    shipped.write_demo(rows=300, files=2)
    _run(shipped)
    _run(shipped)  # every step finds nothing: the marks are written
    return _run(shipped)


def test_the_no_op_after_a_productive_run_skips_every_step(shipped: Shipped) -> None:
    """A step that did work and settled is marked at the run's end: the next cron run with
    nothing new imports nothing, and a full check afterwards agrees that nothing was due."""
    forget_loaded()
    settings = load_settings(shipped.env)
    shipped.write_demo(rows=300, files=2)
    productive = _run(shipped)
    assert productive.records_processed > 0
    before = shipped.versions()
    no_op = _run(shipped)
    assert _skipped(no_op) == set(load_pipeline(settings).order)
    assert shipped.versions() == before
    for result in no_op.results.values():
        assert (result.records_in, result.records_out) == (0, 0)
        assert result.details[UNCHANGED] == productive.run_id
    (settings.state_dir / "cache/quiet-steps.json").unlink()
    checked = _run(shipped)  # the full check: nothing to do, as the marks said
    assert _skipped(checked) == set()
    assert all(r.records_out == 0 for r in checked.results.values())
    assert shipped.versions() == before


def test_a_full_no_op_is_what_the_next_skip_reports(shipped: Shipped) -> None:
    forget_loaded()
    settings = load_settings(shipped.env)
    shipped.write_demo(rows=300, files=2)
    _run(shipped)
    (settings.state_dir / "cache/quiet-steps.json").unlink()
    first = _run(shipped)
    assert _skipped(first) == set()
    second = _run(shipped)
    assert _skipped(second) == set(load_pipeline(settings).order)
    for name, result in second.results.items():
        reported = {k: v for k, v in result.details.items() if k != UNCHANGED}
        assert reported == first.results[name].details
        assert result.details[UNCHANGED] == first.run_id


def _run_with(shipped: Shipped, layer: str, meanwhile: Callable[[], object]) -> RunOutcome:
    """A run that does `meanwhile` as the first step of `layer` starts (under the run lock)."""
    settings = load_settings(shipped.env)
    done: list[bool] = []

    def on_event(event: object) -> None:
        if isinstance(event, StepStarted) and event.layer.value == layer and not done:
            done.append(True)
            meanwhile()

    outcome = run_pipeline(load_pipeline(settings), settings, on_event)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    assert done
    return outcome


def test_a_landing_file_that_arrives_while_silver_runs_is_ingested_by_the_next_run(
    shipped: Shipped,
) -> None:
    """Bronze finished before the file came: the end of the run sees it, so bronze is not
    marked as settled on a landing folder it never read."""
    forget_loaded()
    shipped.write_demo(rows=300, files=1)
    prefix = "orders" if shipped.name == "sales" else "events"
    _run_with(
        shipped,
        "silver",
        lambda: shipped.write_demo(rows=200, files=1, prefix=f"{prefix}_late", after=300),
    )
    late = _run(shipped)
    assert pipeline_first(late) not in _skipped(late)
    assert late.records_processed > 0


def test_a_commit_to_bronze_while_gold_runs_makes_bronze_and_silver_look_again(
    shipped: Shipped,
) -> None:
    forget_loaded()
    settings = load_settings(shipped.env)
    pipeline = load_pipeline(settings)
    shipped.write_demo(rows=300, files=1)
    bronze = pipeline.steps[pipeline.order[0]].outputs[0]

    def other_writer() -> None:
        table = DeltaTable(str(settings.data_dir / bronze))
        table.alter.set_table_properties({"delta.logRetentionDuration": "interval 30 days"})

    _run_with(shipped, "gold", other_writer)
    after = _run(shipped)
    looked = set(after.results) - _skipped(after)
    layers = {pipeline.steps[n].layer.value for n in looked}
    assert {"bronze", "silver"} <= layers


def test_a_deleted_mart_readme_is_put_back_by_the_next_run(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    readmes = sorted((load_settings(shipped.env).data_dir / "gold").glob("*/README.md"))
    assert readmes
    readmes[0].unlink()
    outcome = _run(shipped)
    assert readmes[0].is_file()
    assert any(r.details.get("readme_written") for r in outcome.results.values())


def test_a_new_landing_file_is_ingested_after_marks(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    before = shipped.snapshot()
    prefix = "orders" if shipped.name == "sales" else "events"
    shipped.write_demo(rows=200, files=1, prefix=f"{prefix}_late", after=300)
    outcome = _run(shipped)
    assert outcome.records_processed > 0
    assert _skipped(outcome) == set()
    assert shipped.snapshot() != before


def test_a_commit_by_another_writer_makes_every_step_run_once(shipped: Shipped) -> None:
    forget_loaded()
    settled = _settled(shipped)
    assert _skipped(settled)
    settings = load_settings(shipped.env)
    pipeline = load_pipeline(settings)
    silver_step = next(n for n in pipeline.order if pipeline.steps[n].layer.value == "silver")
    silver = pipeline.steps[silver_step].outputs[0]
    table = DeltaTable(str(settings.data_dir / silver))
    version = table.version()
    # Another writer's commit that changes no row (delta-rs skips a delete that removes nothing).
    table.alter.set_table_properties({"delta.logRetentionDuration": "interval 30 days"})
    assert DeltaTable(str(settings.data_dir / silver)).version() == version + 1
    assert _skipped(_run(shipped)) == set()  # any table's commit: every block looks again
    assert _skipped(_run(shipped)) == set(pipeline.order)


def test_a_changed_setting_runs_every_step(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    home = Path(shipped.env["LAKECONSOLE_HOME"])
    (home / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    assert _skipped(_run(shipped)) == set()
    assert _skipped(_run(shipped))  # settled again under the new setting


def test_edited_code_runs_every_step(
    shipped: Shipped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module of the pipeline's package that is edited (here one of our own, so that no
    test running beside this one sees the repository's files change)."""
    forget_loaded()
    rule_file = tmp_path / "house_rules.py"
    rule_file.write_text("LIMIT = 1\n")
    module = types.ModuleType("lakeconsole._house_rules")
    module.__file__ = str(rule_file)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    _settled(shipped)
    marks = json.loads(
        (load_settings(shipped.env).state_dir / "cache/quiet-steps.json").read_text()
    )
    code = next(iter(marks.values()))["code"]
    assert str(rule_file) in code and any("/blocks/" in p for p in code)
    assert _skipped(_run(shipped))
    rule_file.write_text("LIMIT = 22\n")
    assert _skipped(_run(shipped)) == set()


def test_a_missing_data_file_is_still_reported_on_a_skipped_step(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    settings = load_settings(shipped.env)
    pipeline = load_pipeline(settings)
    gold_step = pipeline.order[-1]
    table = settings.data_dir / pipeline.steps[gold_step].outputs[0]
    live = DeltaTable(str(table)).file_uris()
    Path(live[0].removeprefix("file://")).unlink()
    outcome = run_pipeline(pipeline, settings)
    assert outcome.status == RunStatus.FAILED
    assert outcome.error and gold_step in outcome.error


def test_a_rejected_file_is_reported_at_every_run_until_it_is_removed(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    landing = load_settings(shipped.env).data_dir / "landing"
    bad = landing / next(iter(sorted(p.name for p in landing.iterdir())))
    broken = bad.with_name(bad.stem + "_broken" + bad.suffix)
    broken.write_bytes(b"\x00\xff not a landing file \xfe\n" * 3)
    for _ in range(3):  # a step that warns is never skipped: the warning is not lost
        outcome = _run(shipped)
        assert pipeline_first(outcome) not in _skipped(outcome)
        assert any(broken.name in w for w in outcome.warnings)
    broken.unlink()
    removed = _run(shipped)  # the landing folder changed: bronze looks again
    assert pipeline_first(removed) not in _skipped(removed)
    settled = _run(shipped)
    assert pipeline_first(settled) in _skipped(settled)
    assert not settled.warnings


def pipeline_first(outcome: RunOutcome) -> str:
    return next(iter(outcome.results))


@pytest.mark.parametrize("shipped", ["sales"], indirect=True)
def test_a_settled_no_op_run_imports_neither_numpy_nor_pyarrow(shipped: Shipped) -> None:
    forget_loaded()
    _settled(shipped)
    code = (
        "import sys\n"
        "from lakeconsole.cli.main import main\n"
        "assert main(['run', '--quiet']) == 0\n"  # entry() would leave before the print
        "print(sorted(m for m in ('numpy', 'pyarrow', 'deltalake') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=shipped.env, cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "Pipeline Finished" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_custom_step_runs_at_every_run(settings: Settings) -> None:
    """It may read the outside world (an API, a share), so finding nothing once proves nothing."""
    shop = Pipeline("shop")
    visits = shop.table(
        "silver/visits",
        columns=[col("customer_id", "string", "Customer"), col("visits", "int64", "Visits")],
        key=("customer_id",),
    )
    calls: list[str] = []

    def pull_visits(ctx: StepContext) -> StepResult:
        calls.append(ctx.run_id)
        return StepResult()

    shop.step(writes=[visits])(pull_visits)
    dag = Dag(shop.steps())
    for _ in range(3):
        outcome = run_pipeline(dag, settings)
        assert outcome.status == RunStatus.SUCCEEDED, outcome.error
        assert _skipped(outcome) == set()
    assert len(calls) == 3


def test_a_landing_folder_named_like_the_engines_cache_still_counts(tmp_path: Path) -> None:
    """Only the state folder leaves out cache/, runs/ and run.lock: a landing source may well
    read landing/cache/ or landing/runs/."""
    from lakeconsole.core.quiet_marks import NOT_STATE, _listing

    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "orders_1.csv").write_text("a\n1\n")
    assert [name for name, _, _ in _listing(tmp_path, recursive=True)] == ["cache/orders_1.csv"]
    assert _listing(tmp_path, recursive=True, leave_out=NOT_STATE) == []


def test_alerts_and_quality_records_do_not_unsettle_the_no_op(shipped: Shipped) -> None:
    """alerts.json (rewritten at every run's end when alerts are on) and quality.jsonl are what
    runs found, not a step's input: the no-op after a productive run still skips every step."""
    forget_loaded()
    shipped.env["ALERT_COMMAND"] = "true"  # a target that accepts every alert
    settings = load_settings(shipped.env)
    shipped.write_demo(rows=300, files=2)
    _run(shipped)
    assert (settings.state_dir / "alerts.json").exists()
    assert (settings.state_dir / "quality.jsonl").exists()
    no_op = _run(shipped)
    assert _skipped(no_op) == set(load_pipeline(settings).order)
