"""A landing file that changes while bronze reads it: the rows and the hash come from the same
bytes, and the file is left for the next run with a warning (issue 13, item 2)."""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from lakeconsole.core.faults import at_point
from lakeconsole.core.leftovers import find_crash_leftovers
from lakeconsole.core.settings import Settings
from tests.conftest import lakeconsole
from tests.sales_fixtures import HEADER, count, line, rows, run, snapshot, write_csv
from tests.sales_tables import BRONZE_ORDERS, SILVER_ORDERS, TABLES
from tests.test_sales_crash import make_lake

# More than one of bronze's 4 MB reads, so a writer can act between two of them.
BIG = 60_000


def lines(prefix: str, n: int) -> list[str]:
    return [line(f"{prefix}{i}", customer_id=f"customer-{i:08d}") for i in range(n)]


def once(action: Callable[[], None]) -> Callable[[], None]:
    """`action` the first time the point is reached, nothing after (one writer, one change)."""
    done: list[bool] = []

    def act() -> None:
        if not done:
            done.append(True)
            action()

    return act


def changed_warning(name: str) -> str:
    return f"landing file {name} changed while it was read: left for the next run"


def source_hashes(settings: Settings) -> set[str]:
    return {r["_source_hash"] for r in rows(settings, BRONZE_ORDERS.name)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_rewritten_after_it_was_hashed_is_left_for_the_next_run_then_ingested(
    settings: Settings,
) -> None:
    path = write_csv(settings, "orders.csv", lines("OLD", 100))
    write_csv(settings, "other.csv", [line("K1")])
    rewritten = (HEADER + "\n" + "\n".join(lines("NEW", 150)) + "\n").encode()

    with at_point("bronze.before_read", once(lambda: path.write_bytes(rewritten))):
        first = run(settings)

    assert changed_warning("orders.csv") in first.warnings
    assert first.records_processed == 1  # other.csv, read whole and committed
    assert count(settings, BRONZE_ORDERS.name) == 1

    second = run(settings)
    assert second.warnings == []
    assert second.records_processed == 150
    assert source_hashes(settings) == {
        sha256(path),
        sha256(settings.data_dir / "landing/other.csv"),
    }
    live = {r["order_id"] for r in rows(settings, SILVER_ORDERS.name)}
    assert live == {f"NEW{i}" for i in range(150)} | {"K1"}


def test_a_file_still_growing_while_bronze_reads_it_is_left_for_the_next_run(
    settings: Settings,
) -> None:
    path = write_csv(settings, "growing.csv", lines("G", BIG))

    def append_more() -> None:
        with path.open("a") as fh:
            fh.write("\n".join(lines("MORE", 10)) + "\n")

    with at_point("bronze.mid_read", once(append_more)):
        first = run(settings)

    assert changed_warning("growing.csv") in first.warnings
    assert count(settings, BRONZE_ORDERS.name) == 0  # nothing half-written

    second = run(settings)
    assert second.warnings == []
    assert second.records_processed == BIG + 10
    assert source_hashes(settings) == {sha256(path)}


def test_a_file_rewritten_in_place_while_bronze_reads_it_loses_no_row(settings: Settings) -> None:
    path = write_csv(settings, "orders.csv", lines("OLD", BIG))
    same_size = path.read_bytes().replace(b"OLD", b"NEW")

    def rewrite() -> None:
        with path.open("r+b") as fh:  # in place: same file, same size, other bytes
            fh.write(same_size)

    with at_point("bronze.mid_read", once(rewrite)):
        first = run(settings)
    assert changed_warning("orders.csv") in first.warnings
    assert count(settings, BRONZE_ORDERS.name) == 0

    assert run(settings).records_processed == BIG
    assert source_hashes(settings) == {sha256(path)}
    live = {r["order_id"] for r in rows(settings, SILVER_ORDERS.name)}
    assert live == {f"NEW{i}" for i in range(BIG)}


@pytest.mark.slow
def test_a_run_killed_while_bronze_reads_a_file_then_rerun_equals_a_clean_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "killed").mkdir()
    clean_env, clean = make_lake(tmp_path / "clean")
    assert lakeconsole(["run"], clean_env).returncode == 0
    env, settings = make_lake(tmp_path / "killed")

    killed = lakeconsole(["run"], {**env, "LAKECONSOLE_CRASH_AT": "bronze.mid_read:4"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = lakeconsole(["run"], env)

    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(settings) == snapshot(clean)
    for spec in TABLES.values():
        assert find_crash_leftovers(spec.path(settings.data_dir)) == [], spec.name
