"""The shipped pipelines end to end through the real CLI, the events one as much as sales:
run, re-run, an incremental file, row accounting, check, compare by key, Z-ORDER, kill -9."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable

from lakeconsole.core.leftovers import find_crash_leftovers
from tests.conftest import Shipped, lakeconsole
from tests.governance_fixtures import git_repo


def run(shipped: Shipped, *args: str, **env: str) -> str:
    done = lakeconsole(["run", *args], {**shipped.env, **env})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def tables(shipped: Shipped, layer: str) -> list[Any]:
    return [t for t in shipped.declared.declared.values() if t.layer == layer]


def silver_of(shipped: Shipped) -> Any:
    (silver,) = tables(shipped, "silver")
    return silver


def gold_partitions(shipped: Shipped) -> dict[str, dict[str, set[str]]]:
    """Each gold table's data files by the value of its first partition column."""
    out: dict[str, dict[str, set[str]]] = {}
    for gold in tables(shipped, "gold"):
        column = gold.spec.partition_by[0]
        actions = DeltaTable(str(shipped.settings.data_dir / gold.name)).get_add_actions(
            flatten=True
        )
        files: dict[str, set[str]] = {}
        for path, value in zip(
            actions.column("path").to_pylist(),
            actions.column(f"partition.{column}").to_pylist(),
            strict=True,
        ):
            files.setdefault(str(value), set()).add(path)
        out[gold.name] = files
    return out


def test_a_run_puts_every_landing_line_in_exactly_one_place(shipped: Shipped) -> None:
    written = shipped.write_demo(rows=4000, files=3, seed=13)
    out = run(shipped)
    assert "✓ Pipeline Finished: Processed" in out

    (bronze,) = tables(shipped, "bronze")
    silver = silver_of(shipped)
    landing_lines = sum(f.rows for f in written)
    bronze_rows = shipped.rows(bronze.name)
    live = shipped.rows(silver.name)
    quarantined = shipped.rows(silver.rejected_rows.name)
    superseded = len(bronze_rows) - len(quarantined) - len(live)
    assert len(bronze_rows) == landing_lines
    assert len(quarantined) == sum(f.malformed for f in written)
    assert superseded == sum(f.resent for f in written)
    assert shipped.rows(bronze.rejected_files.name) == []
    keys = [tuple(r[k] for k in silver.spec.key) for r in live]
    assert len(set(keys)) == len(keys), "one live row per key"
    for gold in tables(shipped, "gold"):
        assert shipped.rows(gold.name), f"{gold.name} has rows"
    for mart in shipped.declared.readers_of(silver):
        readme = shipped.settings.data_dir / "gold" / mart.spec.mart / "README.md"
        assert readme.is_file(), "the mart README is written from the pipeline's template"


def test_a_second_run_changes_nothing(shipped: Shipped) -> None:
    shipped.write_demo(rows=3000, files=2, seed=4)
    run(shipped)
    before, contents = shipped.versions(), shipped.snapshot()

    again = run(shipped)

    assert again.strip().endswith("✓ Pipeline Finished: Processed 0 records")
    assert shipped.versions() == before, "no new Delta version on any table"
    assert shipped.snapshot() == contents


def test_an_incremental_file_recomputes_only_its_own_days_in_gold(shipped: Shipped) -> None:
    shipped.write_demo(rows=3000, files=2, seed=8)
    run(shipped)
    bronze_version = {t.name: shipped.versions()[t.name] for t in tables(shipped, "bronze")}
    gold_before = gold_partitions(shipped)

    (new,) = shipped.write_demo(
        rows=400, files=1, seed=8, prefix=f"{shipped.name}_next", after=3000
    )
    run(shipped)

    silver = silver_of(shipped)
    day = silver.spec.partition_by[0]
    its_days = {
        str(r[day]) for r in shipped.rows(silver.name) if r["_source_file"] == new.path.name
    }
    assert its_days
    for name, version in bronze_version.items():
        assert shipped.versions()[name] == version + 1, "bronze appended the one new file"
    assert (
        DeltaTable(str(shipped.settings.data_dir / silver.name)).history(1)[0]["operation"]
        == "MERGE"
    )
    for name, after in gold_partitions(shipped).items():
        before = gold_before[name]
        rewritten = {d for d in set(before) | set(after) if before.get(d) != after.get(d)}
        assert rewritten == its_days, name


def test_check_finds_nothing_after_a_run(shipped: Shipped, home: Path) -> None:
    from lakeconsole.core.backup.status import record

    shipped.write_demo(rows=2000, files=2, seed=6)
    run(shipped)
    record(shipped.settings, "last_backup", {"at": time.time()})
    git_repo(home)

    done = lakeconsole(["check"], shipped.env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout


def test_show_compare_goes_by_the_silver_key(shipped: Shipped) -> None:
    shipped.write_demo(rows=2000, files=1, seed=3)
    run(shipped)
    shipped.write_demo(rows=500, files=1, seed=3, prefix=f"{shipped.name}_next", after=2000)
    run(shipped)
    silver = silver_of(shipped)

    done = lakeconsole(["show", silver.name, "--compare", "0..1"], shipped.env)

    assert done.returncode == 0, done.stdout + done.stderr
    key = ", ".join(silver.spec.key)
    assert done.stdout.splitlines()[0] == f"{silver.name}: version 0 → 1, by key ({key})"
    assert "added e.g.: (" in done.stdout


def test_optimize_zorder_uses_the_declared_columns(shipped: Shipped) -> None:
    shipped.write_demo(rows=2000, files=2, seed=3)
    run(shipped)

    done = lakeconsole(["optimize", "--zorder"], shipped.env)

    assert done.returncode == 0, done.stdout + done.stderr
    silver = silver_of(shipped)
    assert f"✓ {silver.name}: Z-ORDER by {', '.join(silver.spec.zorder_by)}: " in done.stdout
    assert f"{silver.name}: names no Z-ORDER columns" not in done.stdout


def test_the_landing_panel_lists_the_files_waiting_until_a_run_ingests_them(
    shipped: Shipped,
) -> None:
    from lakeconsole.core.pipeline import load_pipeline

    written = shipped.write_demo(rows=1000, files=2, seed=1)
    loaded = load_pipeline(shipped.settings)
    assert loaded.landing_waiting(shipped.settings) == {f.path.name for f in written}
    run(shipped)
    assert loaded.landing_waiting(shipped.settings) == set()
    assert loaded.landing_rejected(shipped.settings) == {}


# -- the events pipeline's own facts ---------------------------------------------------------


def quarantine_rules(shipped: Shipped) -> Counter[str]:
    return Counter(r["rule"] for r in shipped.rows("quarantine/app_events_rejected"))


def demo_kinds(paths: list[Path]) -> Counter[str]:
    """What the events demo spoiled, read back from its files."""
    kinds: Counter[str] = Counter()
    for path in paths:
        for text in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(text)
            except ValueError:
                kinds["not_json"] += 1
                continue
            if event["event_id"] is None:
                kinds["missing_event_id"] += 1
            elif event["event_ts"] == "2024-02-30T25:61:00Z":
                kinds["unparseable_timestamp"] += 1
            elif event["event_type"] == "teleport":
                kinds["unknown_event_type"] += 1
    return kinds


def test_events_are_quarantined_with_the_rule_they_failed(events: Shipped) -> None:
    written = events.write_demo(rows=4000, files=3, seed=13)
    run(events)
    kinds = demo_kinds([f.path for f in written])
    rules = quarantine_rules(events)
    # A line that is not JSON has no event_id either: it fails the first rule.
    assert rules["event_id_missing"] == kinds["missing_event_id"] + kinds["not_json"]
    assert rules["event_ts_unparseable"] == kinds["unparseable_timestamp"]
    assert rules["event_type_unknown"] == kinds["unknown_event_type"]
    assert sum(rules.values()) == sum(kinds.values())


def test_silver_keeps_the_resent_event_and_lower_cases_types(events: Shipped) -> None:
    written = events.write_demo(rows=4000, files=2, seed=13)
    run(events)
    live = {r["event_id"]: r for r in events.rows("silver/app_events")}
    resent = [
        json.loads(line) for line in written[1].path.read_text().splitlines()[-written[1].resent :]
    ]
    assert resent
    for event in resent:
        assert json.loads(live[event["event_id"]]["properties"]) == event["properties"]
        assert live[event["event_id"]]["_source_file"] == written[1].path.name
    assert all(r["event_type"] == r["event_type"].lower() for r in live.values())
    assert {str(r["event_date"]) for r in live.values()} == {
        r["event_ts"].date().isoformat() for r in live.values()
    }


def test_a_property_that_is_not_a_json_object_is_quarantined(events: Shipped) -> None:
    good = {
        "event_id": "E1",
        "user_id": "U1",
        "session_id": "S1",
        "event_type": "app_open",
        "event_ts": "2024-03-01T10:00:00Z",
        "app_version": "4.0.0",
        "platform": "ios",
        "properties": {"a": 1},
    }
    lines = [good, {**good, "event_id": "E2", "properties": [1, 2]}]
    landing = events.settings.data_dir / "landing" / "events_hand.jsonl"
    landing.write_text("".join(json.dumps(e) + "\n" for e in lines))
    run(events)
    assert [r["event_id"] for r in events.rows("silver/app_events")] == ["E1"]
    assert quarantine_rules(events) == Counter({"properties_not_json": 1})


def test_files_of_another_shape_in_landing_are_not_events(events: Shipped) -> None:
    from lakeconsole.core.pipeline import load_pipeline

    (events.settings.data_dir / "landing" / "orders_0001.csv").write_text("order_id\nA1\n")
    (written,) = events.write_demo(rows=500, files=1, seed=2)
    loaded = load_pipeline(events.settings)
    assert loaded.landing_waiting(events.settings) == {written.path.name}
    run(events)
    assert len(events.rows("bronze/app_events_raw")) == written.rows
    assert events.rows("quarantine/app_events_files_rejected") == []


def test_the_demo_command_writes_the_events_demo_then_run_exits_0(events: Shipped) -> None:
    done = lakeconsole(["demo", "--rows", "2000", "--files", "2"], events.env)
    assert done.returncode == 0, done.stdout + done.stderr
    landing = events.settings.data_dir / "landing"
    assert sorted(p.name for p in landing.iterdir()) == ["events_0001.jsonl", "events_0002.jsonl"]
    assert "events_0002.jsonl" in done.stdout
    run(events)
    again = lakeconsole(["demo", "--if-empty"], events.env)
    assert again.returncode == 0 and "already has data" in again.stdout


@pytest.fixture
def events(env: dict[str, str]) -> Shipped:
    from lakeconsole.core.settings import load_settings
    from tests.conftest import SHIPPED

    named = {**env, "LAKECONSOLE_PIPELINE": SHIPPED["events"]}
    return Shipped("events", named, load_settings(named))


# -- kill -9 at any moment, then a re-run ------------------------------------------------------

CRASH_POINTS = [
    "bronze.mid_write:2",  # half-way through appending the second file
    "bronze.after_commit:2",  # bronze committed, the ledger not yet written
    "silver.after_quarantine:2",  # second batch: quarantine committed, silver not
    "silver.after_merge:1",  # silver committed, the watermark not yet written
    "silver.after_batch:2",  # two batches done and recorded, older ones not
    "gold.after_commit",  # the first gold table committed, its pending days not yet cleared
    "gold.after_commit:2",  # the second gold table (events) committed
]


def crash_lake(shipped: Shipped, home: Path) -> None:
    (home / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    shipped.write_demo(rows=3000, files=3, seed=21)


@pytest.fixture(scope="module")
def clean_runs() -> dict[str, dict[str, Any]]:
    return {}


@pytest.mark.slow
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_run_killed_at_any_moment_then_rerun_equals_a_clean_run(
    point: str,
    shipped: Shipped,
    home: Path,
    tmp_path_factory: pytest.TempPathFactory,
    clean_runs: dict[str, dict[str, Any]],
) -> None:
    if shipped.name not in clean_runs:
        from lakeconsole.core.lake import ensure_layout
        from lakeconsole.core.settings import load_settings

        clean_home = tmp_path_factory.mktemp(f"clean_{shipped.name}")
        ensure_layout(clean_home / "data")
        (clean_home / "logs").mkdir()
        clean_env = {**shipped.env, "LAKECONSOLE_HOME": str(clean_home)}
        clean = Shipped(shipped.name, clean_env, load_settings(clean_env))
        crash_lake(clean, clean_home)
        run(clean)
        clean_runs[shipped.name] = clean.snapshot()
    crash_lake(shipped, home)

    killed = lakeconsole(["run"], {**shipped.env, "LAKECONSOLE_CRASH_AT": point})
    if point == "gold.after_commit:2" and len(tables(shipped, "gold")) < 2:
        assert killed.returncode == 0, "one gold table: the point is reached once"
    else:
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    run(shipped)

    assert shipped.snapshot() == clean_runs[shipped.name]
    for name in shipped.declared.specs():
        path = shipped.settings.data_dir / name
        assert find_crash_leftovers(path) == [], name
    settled = shipped.versions()
    run(shipped)
    assert shipped.versions() == settled
