"""Tables that Spark, Databricks and older delta-rs wrote (../shared/foreign-tables/delta-rs):
each opens in history and show with its live rows counted, or says in one line why not."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable, QueryBuilder

from lakeconsole.core.backup.drill import compare_tables
from lakeconsole.core.backup.model import Manifest, TableEntry
from lakeconsole.core.explorer.catalog import summarize
from lakeconsole.core.explorer.history import history_page
from lakeconsole.core.explorer.table import ExplorerError
from lakeconsole.core.explorer.version import rows_page
from lakeconsole.core.settings import Settings
from lakeconsole.core.table_facts import table_facts
from lakeconsole.core.table_features import table_features
from lakeconsole.core.table_health import table_damage
from tests.conftest import REPO, lakeconsole

# Beside the checkout, or where LAKECONSOLE_FOREIGN_TABLES says (a clone elsewhere).
FOREIGN = Path(
    os.environ.get("LAKECONSOLE_FOREIGN_TABLES")
    or REPO.parent / "shared" / "foreign-tables" / "delta-rs"
)
pytestmark = pytest.mark.skipif(
    not FOREIGN.is_dir(), reason=f"no foreign tables at {FOREIGN} (the shared checkout is absent)"
)
# Tables with rows hidden by deletion vectors, and what a reader sees in them.
WITH_DELETIONS = {"table-with-dv-small": 8, "cdf-table-with-cdc-and-dvs": 5}


def foreign(name: str, tmp_path: Path) -> Path:
    """A private copy: the shared tables are read-only."""
    return Path(shutil.copytree(FOREIGN / name, tmp_path / name))


def sql_count(path: Path) -> int:
    dt = DeltaTable(str(path))
    done = QueryBuilder().register("t", dt).execute("select count(*) from t").read_all()
    return int(done.column(0)[0].as_py())


@pytest.mark.parametrize("name", sorted(WITH_DELETIONS))
def test_rows_hidden_by_deletion_vectors_are_not_counted(
    name: str, tmp_path: Path, settings: Settings
) -> None:
    path = foreign(name, tmp_path)
    live = WITH_DELETIONS[name]
    assert sql_count(path) == live  # what delta-rs's own reader returns
    page = rows_page(path, limit=100)
    assert page.total_rows == live
    assert page.table.num_rows == live
    assert summarize(path, settings).rows == live  # `lakeconsole tables`
    assert table_facts(tmp_path, name).rows == live  # the console's step cards


def test_show_offers_no_page_that_is_not_there(env: dict[str, str], tmp_path: Path) -> None:
    path = foreign("table-with-dv-small", tmp_path)
    done = lakeconsole(["show", str(path), "--limit", "8"], env)
    assert done.returncode == 0, done.stderr
    assert "rows 1-8 of 8" in done.stdout
    assert "next page" not in done.stdout


def test_a_table_whose_data_files_are_absent_says_so_with_the_fix(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Its log is a lone checkpoint (no JSON commit) and its data files were never shipped.
    path = foreign("table-with-domain-metadata", tmp_path)
    done = lakeconsole(["show", str(path)], env)
    assert done.returncode != 0
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1, done.stderr
    assert "109 live file(s)" in line and "are missing" in line
    assert "lakeconsole repair" in line


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in FOREIGN.iterdir() if (p / "_delta_log").is_dir())
    if FOREIGN.is_dir()
    else [],
)
def test_every_foreign_table_opens_or_says_why(name: str, tmp_path: Path) -> None:
    path = foreign(name, tmp_path)
    for read in (lambda: history_page(path), lambda: rows_page(path, limit=5)):
        try:
            read()
        except ExplorerError as exc:  # the one line the CLI and the console print
            assert "\n" not in str(exc).strip() and str(exc).strip(), repr(exc)


def test_the_drill_finds_a_column_mapped_table_equal_to_itself(
    tmp_path: Path, settings: Settings
) -> None:
    name = "silver/mapped"
    for lake in (settings.data_dir, tmp_path / "restored"):
        shutil.copytree(FOREIGN / "table_with_column_mapping", lake / name)
    manifest = Manifest("s1", 0.0, "test", tables={name: TableEntry(version=0)})
    # Several tries: the metadata keys come out in one order or the other at each open.
    for _ in range(8):
        (check,) = compare_tables(settings, manifest, tmp_path / "restored", lambda _: None)
        assert check.problems == []
        assert check.rows == check.live_rows == 5


def test_features_view_names_protocol_features_and_a_v2_checkpoint(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = foreign("checkpoint-v2-table", tmp_path)
    done = lakeconsole(["features", str(path)], env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "reader 3, writer 7" in out
    assert "v2Checkpoint" in out and "identityColumns" in out
    assert "v8 (v2, 1 sidecar(s)), 1 commit(s) since" in out
    assert "property delta.checkpointPolicy" in out
    as_json = json.loads(lakeconsole(["features", str(path), "--json"], env).stdout)
    assert as_json["writes_refused"] == ["identityColumns"]


def test_features_view_names_a_last_checkpoint_that_points_nowhere(tmp_path: Path) -> None:
    path = foreign("simple_table_with_checkpoint", tmp_path)
    hint = path / "_delta_log" / "_last_checkpoint"
    hint.write_text(json.dumps({"version": 7, "size": 1}))
    state = table_features(path).checkpoint
    assert (state.version, state.kind) == (10, "classic")
    assert state.problem == "_last_checkpoint names version 7, whose checkpoint is not in the log"


@pytest.mark.parametrize("name", ["cdc_ict_table", "checkpoint-v2-table"])
def test_vacuum_refuses_a_table_whose_writer_features_delta_rs_cannot_write(
    name: str, env: dict[str, str], tmp_path: Path
) -> None:
    path = foreign(name, tmp_path)
    before = sorted(p.relative_to(path) for p in path.rglob("*"))
    done = lakeconsole(["vacuum", str(path), "--yes"], env)
    assert done.returncode == 75, done.stdout + done.stderr
    assert "VACUUM of" in done.stderr and "refused" in done.stderr
    assert "delta-rs cannot write" in done.stderr
    assert sorted(p.relative_to(path) for p in path.rglob("*")) == before  # nothing deleted


@pytest.mark.parametrize(
    "name", ["cdc_ict_table", "checkpoint-v2-table", "table_with_liquid_clustering"]
)
def test_delta_rs_still_refuses_to_write_what_the_features_view_says(
    name: str, tmp_path: Path
) -> None:
    # If a deltalake upgrade learns these features, this fails: shrink WRITES_REFUSED then.
    path = foreign(name, tmp_path)
    dt = DeltaTable(str(path))
    assert table_features(path).writes_refused
    with pytest.raises(Exception, match=r"(?i)unsupported|not supported"):
        dt.optimize.compact()


def test_a_v2_checkpoint_is_not_taken_for_a_missing_one(tmp_path: Path) -> None:
    # Databricks names it NNN.checkpoint.<uuid>.json with its actions in _sidecars/.
    path = foreign("checkpoint-v2-table", tmp_path)
    assert table_damage(path) == []
    top = next((path / "_delta_log").glob("00000000000000000008.checkpoint.*.json"))
    top.write_text("{not json")
    (found,) = table_damage(path)
    assert found.kind == "checkpoint" and "unreadable" in found.message


def test_a_backup_of_a_v2_checkpoint_table_restores_readable(
    tmp_path: Path, settings: Settings
) -> None:
    from lakeconsole.core.backup import restore_snapshot, run_backup

    table = settings.data_dir / "silver" / "spark_people"
    shutil.copytree(FOREIGN / "checkpoint-v2-table", table)
    # As after Databricks' log cleanup: the state up to v8 is only in the v2 checkpoint and
    # its sidecar, so a backup without them restores a table that does not open.
    for version in range(9):
        for suffix in (".json", ".crc"):
            (table / "_delta_log" / f"{version:020d}{suffix}").unlink()
    assert sql_count(table) == 44

    run_backup(settings, target=str(tmp_path / "usb"))
    restored = tmp_path / "restored"
    restore_snapshot(settings, to=restored, target=str(tmp_path / "usb"))
    copy = restored / "silver" / "spark_people"
    assert sorted(p.name for p in (copy / "_delta_log" / "_sidecars").iterdir()) == sorted(
        p.name for p in (table / "_delta_log" / "_sidecars").iterdir()
    )
    assert sql_count(copy) == 44
    assert DeltaTable(str(copy)).version() == 9


@pytest.mark.parametrize(
    ("name", "feature"),
    [
        ("cdc_ict_table", "inCommitTimestamp"),
        ("checkpoint-v2-table", "identityColumns"),
        ("table_with_liquid_clustering", "liquid"),
        ("table_with_column_mapping", "columnMapping"),
    ],
)
def test_optimize_and_restore_refuse_a_table_delta_rs_cannot_write_naming_the_feature(
    name: str, feature: str, env: dict[str, str], tmp_path: Path
) -> None:
    path = foreign(name, tmp_path)
    before = DeltaTable(str(path)).version()
    for args in (["optimize", str(path)], ["restore-version", str(path), "0", "--yes"]):
        done = lakeconsole(args, env)
        assert done.returncode == 75, done.stdout + done.stderr  # REFUSED, as VACUUM's
        line = done.stderr.strip()
        assert len(line.splitlines()) == 1, done.stderr
        assert feature in line and "delta-rs cannot write" in line
        assert "from the engine that wrote it" in line
        assert "Traceback" not in done.stderr
    assert DeltaTable(str(path)).version() == before  # nothing committed


def _with_versions() -> list[str]:
    """Foreign tables whose log has at least two commits to compare."""
    if not FOREIGN.is_dir():
        return []
    from lakeconsole.core.backup.lake_files import COMMIT

    return sorted(
        p.name
        for p in FOREIGN.iterdir()
        if (p / "_delta_log").is_dir()
        and sum(bool(COMMIT.match(f.name)) for f in (p / "_delta_log").iterdir()) >= 2
    )


@pytest.mark.parametrize("name", _with_versions())
def test_compare_of_every_foreign_table_works_or_says_why_in_one_line(
    name: str, env: dict[str, str], tmp_path: Path
) -> None:
    path = foreign(name, tmp_path)
    (tmp_path / "home" / "data").mkdir(parents=True, exist_ok=True)
    env = {**env, "LAKECONSOLE_HOME": str(tmp_path / "home")}
    try:
        dt = DeltaTable(str(path))
        latest, key = dt.version(), dt.schema().fields[0].name
    except Exception:  # unreadable: test_every_foreign_table_opens_or_says_why covers it
        key, latest = (
            "id",
            max(
                int(f.name[:20])
                for f in (path / "_delta_log").glob("*.json")
                if f.name[:20].isdigit()
            ),
        )
    done = lakeconsole(
        ["show", str(path), "--compare", f"{latest - 1}..{latest}", "--key", key], env
    )
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode == 0:
        assert f"version {latest - 1} → {latest}, by key ({key})" in done.stdout
        assert "col-" not in done.stdout  # column mapping: logical names, never physical ones
    else:
        assert done.returncode == 1, done.stderr  # as show's other read refusals
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "DeltaError" not in done.stderr and "details in" not in done.stderr


def test_compare_of_a_column_mapped_table_shows_logical_names_and_names_a_rename(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Spark renamed column id to newid at version 3 (column mapping: the files keep "id").
    path = foreign("table_with_partitioning_mapping", tmp_path)
    (tmp_path / "home" / "data").mkdir(parents=True, exist_ok=True)
    env = {**env, "LAKECONSOLE_HOME": str(tmp_path / "home")}
    done = lakeconsole(["show", str(path), "--compare", "3..4", "--key", "newid"], env)
    assert done.returncode == 0, done.stderr
    assert "by key (newid)" in done.stdout and "added e.g.: (2)" in done.stdout
    across = lakeconsole(["show", str(path), "--compare", "2..3", "--key", "newid"], env)
    assert across.returncode == 1
    assert across.stderr.strip() == (
        "Key column newid was renamed between versions 2 and 3 (it is id in version 2; column "
        "mapping): compare versions on one side of the rename ('lakeconsole history' shows the "
        "RENAME COLUMN commit)"
    )


def test_optimize_of_every_table_refuses_before_rewriting_any_when_one_is_foreign(
    settings: Settings,
) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    from lakeconsole.core.maintenance.optimize import optimize_tables
    from lakeconsole.core.table_features import WritesRefused

    ours = settings.data_dir / "bronze" / "small_files"
    for n in range(3):
        write_deltalake(str(ours), pa.table({"n": [n]}), mode="append")
    spark = settings.data_dir / "silver" / "spark_people"
    shutil.copytree(FOREIGN / "checkpoint-v2-table", spark)
    with pytest.raises(WritesRefused, match=r"OPTIMIZE of silver/spark_people refused.*identity"):
        optimize_tables([ours, spark], settings)
    assert DeltaTable(str(ours)).version() == 2  # not compacted: nothing was rewritten
