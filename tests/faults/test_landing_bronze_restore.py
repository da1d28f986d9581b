"""A RESTORE of bronze: the next run says so, rebuilds the ingestion ledger from the bronze rows,
ingests again the landing files bronze no longer holds, and ends where a clean run ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import lakeconsole
from tests.faults.test_restore_state import accounted, env_of, lake, restore, two_runs
from tests.sales_fixtures import count, run, snapshot, versions
from tests.sales_tables import BRONZE_ORDERS


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = lake(tmp_path_factory.mktemp("clean"))
    two_runs(settings)
    return snapshot(settings)


def test_run_after_bronze_restore_says_so_and_ingests_the_lost_files_again(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    settings = lake(tmp_path)
    written, first = two_runs(settings)
    env = env_of(settings)
    target = first[BRONZE_ORDERS.name]
    restored = lakeconsole(["restore-version", BRONZE_ORDERS.name, str(target), "--yes"], env)
    assert restored.returncode == 0, restored.stderr
    assert count(settings, BRONZE_ORDERS.name) < clean["bronze_rows"]

    result = lakeconsole(["run"], env)

    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {BRONZE_ORDERS.name} was restored to version {target} after the last run: "
        "ingestion ledger rebuilt from the bronze rows; "
        "1 landing file(s) no longer in bronze are ingested again"
    ) in result.stderr
    assert snapshot(settings) == clean
    assert accounted(settings, written)
    tables = versions(settings)
    again = lakeconsole(["run"], env)  # caught up: the next run is a no-op again
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr
    assert versions(settings) == tables


def test_run_after_bronze_restore_names_the_lost_files_no_longer_in_landing(
    tmp_path: Path,
) -> None:
    settings = lake(tmp_path)
    written, first = two_runs(settings)
    restore(settings, BRONZE_ORDERS.name, first[BRONZE_ORDERS.name])
    (settings.data_dir / "landing" / written[2].path.name).unlink()  # archived after the run

    outcome = run(settings)

    assert (
        f"{BRONZE_ORDERS.name} was restored to version {first[BRONZE_ORDERS.name]} after the "
        "last run: ingestion ledger rebuilt from the bronze rows; 0 landing file(s) no longer "
        "in bronze are ingested again; 1 file(s) no longer in bronze are not in landing/ "
        "either: put them back in landing/ to ingest their rows again"
    ) in outcome.warnings
