"""Damage the first round of fixes missed: a RESTORE computed from a damaged log, a no-op run
on a damaged table reported as fine, the tables list silent about an empty commit, and a
repair's FSCK described as a write lakeconsole did not make."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from lakeconsole.core.settings import Settings
from tests.conftest import lakeconsole
from tests.faults import test_damaged_tables as damaged
from tests.faults.test_damaged_tables import (
    SILVER,
    deleted_live_parquet,
    empty_middle_commit,
    no_raw_text,
)
from tests.sales_tables import SILVER_ORDERS

# The corpus's lakes: one clean run built once, a copy per test.
built = damaged.built
lake = damaged.lake


def test_restore_version_refuses_a_table_whose_log_has_an_empty_commit(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    silver = SILVER_ORDERS.path(settings.data_dir)
    problem = empty_middle_commit(silver)
    log_before = sorted(p.name for p in (silver / "_delta_log").iterdir())

    done = lakeconsole(["restore-version", SILVER, "0", "--yes"], env)

    assert done.returncode != 0, done.stdout
    assert f"Restore refused: table {SILVER} is damaged: {problem}" in done.stderr
    assert sorted(p.name for p in (silver / "_delta_log").iterdir()) == log_before
    no_raw_text(done.stdout + done.stderr)


def test_a_run_with_nothing_to_do_still_fails_on_a_damaged_table(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    problem = empty_middle_commit(SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(["run"], env)  # no new landing file: silver would merge nothing

    assert done.returncode == 1
    assert "Pipeline Finished" not in done.stdout
    assert f"✗ Pipeline Failed: silver_orders: table {SILVER} is damaged: {problem}" in done.stderr
    assert "skipped (upstream failed: silver_orders)" in done.stdout


def test_tables_flags_a_table_whose_log_has_an_empty_commit(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    empty_middle_commit(SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(["tables"], env)

    line = next(ln for ln in done.stdout.splitlines() if SILVER in ln)
    assert "damaged: commit (lakeconsole check)" in line, done.stdout


def test_the_run_after_a_repair_says_the_repair_not_a_foreign_write(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    silver: Path = SILVER_ORDERS.path(settings.data_dir)
    deleted_live_parquet(silver)
    assert lakeconsole(["repair", SILVER], env).returncode == 0
    assert DeltaTable(str(silver)).history(1)[0]["operation"] == "FSCK"

    done = lakeconsole(["run"], env)

    assert done.returncode == 0, done.stderr
    assert "was repaired after the last run" in done.stdout + done.stderr
    assert "lakeconsole did not make" not in done.stdout + done.stderr


def test_a_run_with_nothing_to_do_fails_on_a_lost_live_file_of_silver(
    lake: tuple[dict[str, str], Settings],
) -> None:
    env, settings = lake
    problem = deleted_live_parquet(SILVER_ORDERS.path(settings.data_dir))

    done = lakeconsole(["run"], env)

    assert done.returncode == 1
    assert "Pipeline Finished" not in done.stdout
    assert problem in done.stderr
    assert f"`lakeconsole repair {SILVER} --dry-run`" in done.stderr
