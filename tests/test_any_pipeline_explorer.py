"""The explorer and maintenance commands on every shipped pipeline's silver and gold tables,
through the real CLI: tables, history, show, compare by key, restore-version then a re-run,
vacuum (dry run, then for real) and optimize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tests.conftest import Shipped, lakeconsole

FIRST, LATER = 2000, 500  # demo rows of the first file, then of the incremental one


def cli(shipped: Shipped, *args: str) -> str:
    done = lakeconsole(list(args), shipped.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class TwoRuns:
    """A lake after a first file and its run, then an incremental file and its run (made once
    per pipeline, copied into each test's lake): the versions of each run, its content."""

    def __init__(self, shipped: Shipped, home: Path) -> None:
        lake = shipped.elsewhere(home)
        lake.write_demo(rows=FIRST, files=1, seed=5)
        cli(lake, "run")
        self.first = lake.versions()
        lake.write_demo(rows=LATER, files=1, seed=5, prefix=f"{lake.name}_next", after=FIRST)
        cli(lake, "run")
        self.second = lake.versions()
        self.snapshot = lake.snapshot()
        self.data_dir = lake.settings.data_dir


@pytest.fixture(scope="module")
def made() -> dict[str, TwoRuns]:
    return {}


@pytest.fixture
def two_runs(
    shipped: Shipped, made: dict[str, TwoRuns], tmp_path_factory: pytest.TempPathFactory
) -> TwoRuns:
    """The fixture lake (`shipped`) after two runs."""
    if shipped.name not in made:
        made[shipped.name] = TwoRuns(shipped, tmp_path_factory.mktemp(f"two_{shipped.name}"))
    shipped.take_lake(made[shipped.name].data_dir)
    return made[shipped.name]


def silver_and_gold(shipped: Shipped) -> list[Any]:
    return [t for t in shipped.declared.declared.values() if t.layer in ("silver", "gold")]


def keys(rows: pa.Table | list[dict[str, Any]], key: tuple[str, ...]) -> set[tuple[str, ...]]:
    listed = rows.select(list(key)).to_pylist() if isinstance(rows, pa.Table) else rows
    return {tuple(str(r[k]) for k in key) for r in listed}


def test_tables_history_show_and_compare_on_every_silver_and_gold_table(
    shipped: Shipped, two_runs: TwoRuns
) -> None:
    listed = {t["name"]: t for t in json.loads(cli(shipped, "tables", "--json"))}
    assert set(two_runs.second) <= set(listed), "every table the runs wrote is listed"
    for table in silver_and_gold(shipped):
        path, key = str(shipped.settings.data_dir / table.name), table.spec.key
        latest, earlier = two_runs.second[table.name], two_runs.first[table.name]
        row = listed[table.name]
        assert (row["layer"], row["version"], row["schema_version"]) == (
            table.layer,
            latest,
            table.spec.version,
        )
        assert row["rows"] == len(shipped.rows(table.name))

        history = json.loads(cli(shipped, "history", table.name, "--json"))
        expected = DeltaTable(path).history()
        assert [c["version"] for c in history["commits"]] == [h["version"] for h in expected]
        assert [c["operation"] for c in history["commits"]] == [h["operation"] for h in expected]

        # A version's rows: the first run's, not today's.
        old = DeltaTable(path, version=earlier).to_pyarrow_table()
        shown = json.loads(
            cli(shipped, "show", table.name, "--version", str(earlier), "--limit", "5", "--json")
        )
        assert [c["name"] for c in shown["columns"]] == table.spec.schema.names
        assert shown["total_rows"] == old.num_rows < row["rows"]
        assert keys(shown["rows"], key) <= keys(old, key) and len(shown["rows"]) == 5

        # Compare the two runs' versions by the declared key.
        compared = json.loads(
            cli(shipped, "show", table.name, "--compare", f"{earlier}..{latest}", "--json")
        )
        now = DeltaTable(path).to_pyarrow_table()
        before, after = keys(old, key), keys(now, key)
        assert compared["keys"] == list(key), table.name
        assert (compared["added"], compared["removed"]) == (
            len(after - before),
            len(before - after),
        ), table.name
        assert compared["added"] > 0, f"{table.name}: the second file added rows"
        assert compared["changed"] + compared["unchanged"] == len(before & after), table.name


def test_restore_version_then_a_run_re_derives_and_equals_the_clean_lake(
    shipped: Shipped, two_runs: TwoRuns
) -> None:
    for table in silver_and_gold(shipped):
        target = two_runs.first[table.name]
        out = cli(shipped, "restore-version", table.name, str(target), "--yes")
        assert f"Restored {table.name} to version {target}" in out
        assert len(shipped.rows(table.name)) < len(two_runs.snapshot[table.name]), table.name

        cli(shipped, "run")

        assert shipped.snapshot() == two_runs.snapshot, f"after restoring {table.name}"
        settled = shipped.versions()
        again = cli(shipped, "run")
        assert again.strip().endswith("Processed 0 records"), again
        assert shipped.versions() == settled, "the state describes the tables again"


def test_optimize_and_vacuum_keep_every_row_and_the_next_runs_right(
    shipped: Shipped, two_runs: TwoRuns
) -> None:
    tables = silver_and_gold(shipped)
    optimized = cli(shipped, "optimize")
    for table in tables:
        # A table already in one file per partition commits nothing and says so.
        assert (
            f"✓ {table.name}: compacted: " in optimized
            or f"✓ {table.name}: nothing needed compacting" in optimized
        ), optimized
    # Z-ORDER rewrites the files of the tables that name columns: old files for vacuum.
    cli(shipped, "optimize", "--zorder")
    assert shipped.snapshot() == two_runs.snapshot

    dry = json.loads(cli(shipped, "vacuum", "--dry-run", "--json"))
    # The default retention (7 days) keeps the files the two runs and optimize just replaced.
    assert all(plan["files"] == [] for plan in dry["plans"]), dry
    deleted = 0
    for table in tables:
        path = shipped.settings.data_dir / table.name
        forced = ["--retention-hours", "0", "--force", "--reason", "test"]
        plan = json.loads(cli(shipped, "vacuum", table.name, "--dry-run", "--json", *forced))
        [listed] = plan["plans"]
        doomed = [f["path"] for f in listed["files"]]
        assert all((path / f).exists() for f in doomed), "a dry run deletes nothing"

        done = json.loads(cli(shipped, "vacuum", table.name, "--yes", "--json", *forced))
        assert [r["files"] for r in done["results"]] == [len(doomed)]
        assert not any((path / f).exists() for f in doomed), table.name
        deleted += len(doomed)
    assert deleted, "the runs and optimize replaced files a forced vacuum deletes"
    assert shipped.snapshot() == two_runs.snapshot, "vacuum deletes no live row"

    # Maintenance commits leave the pipeline's state right: the next file is incremental.
    shipped.write_demo(rows=300, files=1, seed=9, prefix=f"{shipped.name}_late", after=9000)
    out = cli(shipped, "run")
    assert "✓ Pipeline Finished" in out
    for table in tables:
        assert len(shipped.rows(table.name)) >= len(two_runs.snapshot[table.name]), table.name
