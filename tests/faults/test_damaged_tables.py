"""A corpus of damaged lakes, made by code: each damage is found by `check`, refused by a run,
warned about by `backup`, and said in one line that names the table and the fix."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from deltalake import DeltaTable

from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.pipelines.sales.demo import write_demo
from tests.conftest import lakeconsole
from tests.sales_tables import GOLD_DAILY_REVENUE, SILVER_ORDERS
from tests.test_sales_crash import make_lake

SILVER = SILVER_ORDERS.name  # silver/sales_orders
RAW_TEXT = ("Kernel error", "<unknown>", "Traceback", "pthread", "ParsedLogPath", "DeltaError")


def commit(table: Path, version: int) -> Path:
    return table / "_delta_log" / f"{version:020d}.json"


def newest(table: Path) -> int:
    return max(int(p.stem) for p in (table / "_delta_log").glob("*.json"))


def empty_middle_commit(table: Path) -> str:
    commit(table, 1).write_bytes(b"")
    return "commit 1 (_delta_log/00000000000000000001.json) is empty"


def empty_newest_commit(table: Path) -> str:
    n = newest(table)
    commit(table, n).write_bytes(b"")
    return f"commit {n} (_delta_log/{n:020d}.json) is empty"


def truncated_newest_commit(table: Path) -> str:
    n = newest(table)
    text = commit(table, n).read_bytes()
    commit(table, n).write_bytes(text[: len(text) // 2])
    return f"commit {n} (_delta_log/{n:020d}.json) is unreadable"


def garbage_commit(table: Path) -> str:
    commit(table, 1).write_bytes(b"\x00\xff not a delta commit\n")
    return "commit 1 (_delta_log/00000000000000000001.json) is unreadable"


def missing_middle_commit(table: Path) -> str:
    commit(table, 1).unlink()
    return "commit 1 (_delta_log/00000000000000000001.json) is missing"


def deleted_live_parquet(table: Path) -> str:
    os.unlink(DeltaTable(str(table)).file_uris()[0].removeprefix("file://"))
    return f"1 live file(s) of {SILVER} are missing"


def damaged_checkpoint(table: Path) -> str:
    dt = DeltaTable(str(table))
    dt.create_checkpoint()
    part = table / "_delta_log" / f"{dt.version():020d}.checkpoint.parquet"
    part.write_bytes(part.read_bytes()[:100])
    return f"checkpoint {dt.version()} (_delta_log/{dt.version():020d}.checkpoint.parquet)"


DAMAGES: dict[str, Callable[[Path], str]] = {
    "0-byte commit in the middle": empty_middle_commit,
    "0-byte newest commit": empty_newest_commit,
    "truncated newest commit": truncated_newest_commit,
    "garbage commit": garbage_commit,
    "missing commit in the middle": missing_middle_commit,
    "deleted live parquet": deleted_live_parquet,
    "damaged checkpoint": damaged_checkpoint,
}
FIX = {
    "deleted live parquet": f"`lakeconsole repair {SILVER} --dry-run`",
    "0-byte newest commit": "move it aside and the table returns to version",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lake after a clean run: silver has several commits. Each test damages a copy."""
    root = tmp_path_factory.mktemp("built")
    env, settings = make_lake(root)
    done = lakeconsole(["run"], env)
    assert done.returncode == 0, done.stderr
    assert newest(SILVER_ORDERS.path(settings.data_dir)) >= 2
    return root


@pytest.fixture
def lake(built: Path, tmp_path: Path) -> tuple[dict[str, str], Settings]:
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    env["LAKECONSOLE_HOME"] = str(root)
    env["NO_COLOR"] = "1"
    return env, load_settings(env)


def no_raw_text(text: str) -> None:
    for raw in RAW_TEXT:
        assert raw not in text, text


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_check_names_each_damaged_table_and_its_fix(
    damage: str, lake: tuple[dict[str, str], Settings]
) -> None:
    env, settings = lake
    problem = DAMAGES[damage](SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(["check"], env)

    assert done.returncode == 1, done.stdout + done.stderr
    found = [ln for ln in done.stdout.splitlines() if ln.startswith(f"DAMAGE {SILVER}: ")]
    assert len(found) == 1, done.stdout
    assert problem in found[0]
    assert FIX.get(damage, "`lakeconsole restore`") in found[0]
    no_raw_text(done.stdout + done.stderr)


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_run_refuses_to_write_to_a_damaged_table_in_one_line(
    damage: str, lake: tuple[dict[str, str], Settings]
) -> None:
    env, settings = lake
    silver = SILVER_ORDERS.path(settings.data_dir)
    gold = GOLD_DAILY_REVENUE.path(settings.data_dir)
    write_demo(settings.data_dir / "landing", rows=500, files=1, seed=99, prefix="more")
    problem = DAMAGES[damage](silver)
    silver_log = sorted(p.name for p in (silver / "_delta_log").iterdir())
    gold_version = DeltaTable(str(gold)).version()

    done = lakeconsole(["run"], env)

    assert done.returncode != 0
    assert problem in done.stderr, done.stderr
    no_raw_text(done.stdout + done.stderr)
    assert sorted(p.name for p in (silver / "_delta_log").iterdir()) == silver_log
    assert DeltaTable(str(gold)).version() == gold_version


@pytest.mark.parametrize("damage", ["missing commit in the middle", "0-byte commit in the middle"])
def test_backup_warns_about_a_damaged_table_and_still_keeps_what_is_there(
    damage: str, lake: tuple[dict[str, str], Settings], tmp_path: Path
) -> None:
    env, settings = lake
    problem = DAMAGES[damage](SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(["backup", "--target", str(tmp_path / "bk")], env)

    assert done.returncode == 0, done.stderr
    warned = [ln for ln in done.stderr.splitlines() if SILVER in ln]
    assert len(warned) == 1, done.stderr
    assert warned[0].startswith(f"warning: table {SILVER} is damaged: {problem}")
    assert "backed up as it is" in warned[0]
    assert "Backup Finished" in done.stdout
    no_raw_text(done.stdout + done.stderr)


def test_repair_dry_run_lists_the_lost_file_then_repair_drops_it_and_the_run_goes_on(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    silver = SILVER_ORDERS.path(settings.data_dir)
    lost = DeltaTable(str(silver)).file_uris()[0].removeprefix("file://")
    deleted_live_parquet(silver)
    version = DeltaTable(str(silver)).version()

    dry = lakeconsole(["repair", SILVER, "--dry-run"], env)

    assert dry.returncode == 0, dry.stderr
    assert Path(lost).name in dry.stdout
    assert "nothing changed" in dry.stdout
    assert DeltaTable(str(silver)).version() == version

    done = lakeconsole(["repair", SILVER], env)

    assert done.returncode == 0, done.stderr
    assert f"✓ Repair Finished: {SILVER}: dropped 1 missing live file(s)" in done.stdout
    assert DeltaTable(str(silver)).history(1)[0]["operation"] == "FSCK"
    assert f"DAMAGE {SILVER}" not in lakeconsole(["check"], env).stdout
    assert lakeconsole(["run"], env).returncode == 0


def test_repair_waits_for_a_run_holding_the_lock(lake: tuple[dict[str, str], Settings]) -> None:
    from lakeconsole.core.lock import RunLock

    env, settings = lake
    silver = SILVER_ORDERS.path(settings.data_dir)
    deleted_live_parquet(silver)
    version = DeltaTable(str(silver)).version()

    with RunLock(settings.state_dir, "r-test", "lakeconsole run"):
        done = lakeconsole(["repair", SILVER], env)

    assert done.returncode == 75
    assert "✗ Repair refused: A run is already going on this lake" in done.stderr
    assert DeltaTable(str(silver)).version() == version


def test_run_after_a_lost_commit_deletes_none_of_its_files(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    silver = SILVER_ORDERS.path(settings.data_dir)
    files = sorted(p for p in silver.rglob("*.parquet") if "_delta_log" not in p.parts)
    empty_middle_commit(silver)  # its added files now look like crash leftovers

    done = lakeconsole(["run"], env)

    assert done.returncode != 0
    assert sorted(p for p in silver.rglob("*.parquet") if "_delta_log" not in p.parts) == files


# `show` reads only the first page's files and `tables` only the log: a lost parquet file
# shows up there when those are read.
@pytest.mark.parametrize(
    ("command", "damage"),
    [
        (["show", SILVER], "garbage commit"),
        (["tables"], "garbage commit"),
        (["vacuum", SILVER, "--dry-run"], "garbage commit"),
        (["vacuum", SILVER, "--dry-run"], "deleted live parquet"),
        (["optimize", SILVER], "garbage commit"),
        (["optimize", SILVER], "deleted live parquet"),
    ],
    ids=["show", "tables", "vacuum", "vacuum-lost-file", "optimize", "optimize-lost-file"],
)
def test_every_command_says_a_damaged_table_in_one_line_with_the_fix(
    command: list[str], damage: str, lake: tuple[dict[str, str], Settings]
) -> None:
    env, settings = lake
    problem = DAMAGES[damage](SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(command, env)

    assert problem in done.stdout + done.stderr
    assert FIX.get(damage, "`lakeconsole restore`") in done.stdout + done.stderr
    no_raw_text(done.stdout + done.stderr)
