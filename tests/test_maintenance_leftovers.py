"""Crash leftovers: data files a killed write left behind, which the log never references."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from lakeconsole.core.leftovers import DATA_FILE, find_crash_leftovers, remove_crash_leftovers
from lakeconsole.core.maintenance.vacuum import plan_tables, vacuum_tables
from lakeconsole.core.settings import Settings
from tests.maintenance_fixtures import age, data_files, make_table, read_rows


def _crash(table: Path) -> tuple[Path, Path]:
    """What kill -9 in the middle of a write leaves: a whole orphan file and a partial one."""
    orphan = table / "part-00001-0000dead-beef-c000.snappy.parquet"
    pq.write_table(pa.table({"id": [99], "version": [99]}), orphan)
    partial = table / "part-00002-0000dead-beef-c000.snappy.parquet#1"
    partial.write_bytes(b"PAR1 half a file")
    return orphan, partial


def test_crash_leftovers_are_found_and_committed_files_are_not(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    (table / "README.md").write_text("docs")
    orphan, partial = _crash(table)
    assert find_crash_leftovers(table) == sorted([orphan, partial])


def test_remove_crash_leftovers_cleans_them_and_the_table_still_reads(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    (table / "README.md").write_text("docs")
    orphan, partial = _crash(table)
    removed = remove_crash_leftovers(table, min_age_s=0)
    assert sorted(removed) == sorted([orphan, partial])
    assert not orphan.exists() and not partial.exists()
    assert (table / "README.md").exists()
    assert read_rows(table) == [{"id": i, "version": 1} for i in range(3)]


def test_young_leftovers_are_kept_until_they_are_old_enough(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    orphan, partial = _crash(table)
    assert remove_crash_leftovers(table, min_age_s=3600) == []
    age(orphan, days=8)
    assert remove_crash_leftovers(table, min_age_s=168 * 3600) == [orphan]
    assert partial.exists()


def test_files_known_only_to_a_checkpoint_are_not_leftovers(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=2)
    DeltaTable(str(table)).create_checkpoint()
    for commit in (table / "_delta_log").glob("0000000000000000000[01].json"):
        commit.unlink()  # as after log cleanup: only the checkpoint knows these adds/removes
    assert find_crash_leftovers(table) == []


def test_vacuum_cleans_crash_leftovers_once_older_than_the_retention(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders")
    orphan, partial = _crash(table)
    [plan] = plan_tables([table], settings)
    assert plan.files == ()  # minutes old: a write might still be going
    age(orphan, days=8)
    age(partial, days=8)
    [plan] = plan_tables([table], settings)
    assert {f.kind for f in plan.files} == {"crash leftover"}
    [result] = vacuum_tables([plan], settings, now=time.time())
    assert result.leftovers == 2
    assert not orphan.exists() and not partial.exists()
    assert read_rows(table) == [{"id": i, "version": 1} for i in range(3)]


WRITER = """
import sys
import pyarrow as pa
from deltalake import write_deltalake
rows = 1_500_000
data = pa.table({"id": pa.array(range(rows), pa.int64()), "text": ["x" * 40] * rows})
while True:
    write_deltalake(sys.argv[1], data, mode="append")
"""


def _wait_stopped(pid: int) -> None:
    """Until the kernel reports the process stopped (state T), at most a second."""
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(100):
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("T", "t"):
            return
        time.sleep(0.01)


@pytest.mark.slow
def test_leftovers_of_a_real_kill_9_are_cleaned_and_the_table_reads(settings: Settings) -> None:
    table = settings.data_dir / "bronze" / "killed"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(table)])
    try:
        deadline = time.monotonic() + 90
        while True:
            assert writer.poll() is None and time.monotonic() < deadline, "no write caught"
            if (table / "_delta_log").is_dir() and find_crash_leftovers(table):
                # Freeze the writer, then check again: the commit may have landed meanwhile.
                writer.send_signal(signal.SIGSTOP)
                _wait_stopped(writer.pid)
                if find_crash_leftovers(table):
                    break
                writer.send_signal(signal.SIGCONT)
            time.sleep(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    found = find_crash_leftovers(table)
    assert found, "the killed write left nothing behind"
    assert sorted(remove_crash_leftovers(table, min_age_s=0)) == found
    dt = DeltaTable(str(table))
    current = {Path(u).relative_to(table).as_posix() for u in dt.file_uris()}
    assert {f for f in data_files(table) if DATA_FILE.search(f)} == current
    assert dt.count() == 1_500_000 * (dt.version() + 1)
