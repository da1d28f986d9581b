"""Comparing two versions of a table of many files on an s3:// lake (moto's server on 127.0.0.1),
from core (what `show --compare` prints) and from the console's `C`: the compare says what it
says on disk, and it fetches only the data files that the commits between the two versions added
or removed (counted in the server's request log), not the hundreds both versions share. Before, it read both versions whole, nine times over: a 2,500-file
table did not finish in 400 s."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.explorer.compare import compare_versions
from lakeconsole.core.storage import S3Location
from tests.backup_fixtures import VENV_BIN, free_port
from tests.s3_lake_fixtures import s3_location, upload

BUCKET = "lake-compare"
APPENDS, DAYS, ROWS = 30, 10, 100  # 300 data files of 10 rows
MERGE, DELETE = APPENDS, APPENDS + 1  # the versions after the appends (0..29)


class LoggedServer:
    """moto's S3 server with its request log: the data files each compare fetched."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log

    def mark(self) -> int:
        return self.log.stat().st_size

    def data_files_fetched(self, since: int, table: str) -> set[str]:
        """The data files of `table` (a key prefix) fetched since `mark()`, relative to it."""
        with self.log.open("rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        found = re.findall(rf'"GET /{BUCKET}/{re.escape(table)}/([^ ?]+\.parquet)', text)
        return {unquote(p) for p in found}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedServer]:
    moto, aws = VENV_BIN / "moto_server", VENV_BIN / "aws"
    if not moto.exists() or not aws.exists():
        pytest.skip("moto_server or aws is not installed (pip install 'moto[server]' awscli)")
    log, port = tmp_path_factory.mktemp("moto") / "requests.log", free_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    with log.open("wb") as out:
        # werkzeug writes one line per request to stderr.
        proc = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    try:
        made = None
        for _ in range(100):  # until the server answers
            made = subprocess.run(
                [str(aws), "s3", "mb", f"s3://{BUCKET}", "--endpoint-url", env["AWS_ENDPOINT_URL"]],
                env={**os.environ, **env},
                capture_output=True,
                timeout=60,
            )
            if made.returncode == 0:
                break
        assert made is not None and made.returncode == 0, made and made.stderr
        yield LoggedServer(env, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def orders(ids: list[int]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "day": pa.array([i % DAYS for i in ids], pa.int64()),
            "qty": pa.array([i % 7 for i in ids], pa.int64()),
        }
    )


def many_files(path: Path) -> Path:
    """30 appends of 100 ids over 10 day partitions (300 files, each with its own id range),
    then a MERGE (2 lines of day 3 changed, 3 new lines on day 4) and a DELETE of one line."""
    for n in range(APPENDS):
        write_deltalake(
            path, orders(list(range(n * ROWS, (n + 1) * ROWS))), mode="append", partition_by=["day"]
        )
    changed = orders([703, 713]).set_column(2, "qty", pa.array([99, 99], pa.int64()))
    new = orders([5004, 5014, 5024])
    (
        DeltaTable(path)
        .merge(pa.concat_tables([changed, new]), "t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    DeltaTable(path).delete("id = 1205")
    return path


def files_of(path: Path, version: int) -> set[str]:
    actions = pa.RecordBatchReader.from_stream(
        DeltaTable(path, version=version).get_add_actions(flatten=True)
    ).read_all()
    return {unquote(p) for p in actions["path"].to_pylist()}


@pytest.fixture(scope="module")
def lake(server: LoggedServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, S3Location]:
    """The same table on disk and in the bucket."""
    local = many_files(tmp_path_factory.mktemp("lake") / "orders")
    remote = s3_location(f"s3://{BUCKET}/lake/orders", server.env)
    upload(local, remote)
    return local, remote


@pytest.mark.parametrize(
    ("old", "new", "counts"),
    [
        (MERGE - 1, MERGE, (3, 0, 2, 2998)),  # the MERGE
        (MERGE, DELETE, (0, 1, 0, 3002)),  # the DELETE
        (MERGE - 2, DELETE, (103, 1, 2, 2897)),  # an append, the MERGE and the DELETE
    ],
)
def test_a_compare_on_s3_reads_only_the_files_that_changed(
    server: LoggedServer,
    lake: tuple[Path, S3Location],
    old: int,
    new: int,
    counts: tuple[int, int, int, int],
) -> None:
    local, remote = lake
    assert len(files_of(local, new)) > 300
    on_disk = compare_versions(local, old, new, ["id"])

    since = server.mark()
    on_s3 = compare_versions(remote, old, new, ["id"])
    fetched = server.data_files_fetched(since, "lake/orders")

    assert on_s3.to_json() | {"path": ""} == on_disk.to_json() | {"path": ""}
    found = (on_s3.added, on_s3.removed, on_s3.changed, on_s3.unchanged)
    assert found == counts
    # The files one version lists and the other not: 2 to 15 of the table's 300-odd.
    changed = files_of(local, old) ^ files_of(local, new)
    assert fetched == changed and len(changed) <= 15


async def test_the_console_compare_on_s3_reads_only_the_files_that_changed(
    server: LoggedServer, lake: tuple[Path, S3Location], env: dict[str, str]
) -> None:
    from textual.widgets import DataTable

    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.settings import load_settings
    from lakeconsole.tui.app import ConsoleApp
    from lakeconsole.tui.screens.table_compare import CompareScreen
    from tests.test_s3_console import column, open_tables, wait_for
    from tests.tui_fixtures import fixed_findings, fixed_upkeep

    local, _ = lake
    url = f"s3://{BUCKET}/lake"
    settings = load_settings(
        {**env, **server.env, "AWS_ALLOW_HTTP": "true", "LAKECONSOLE_DATA_DIR": url}
    )
    app = ConsoleApp(
        settings,
        load_pipeline(settings),
        upkeep=fixed_upkeep,
        findings=fixed_findings,
        poll_interval_s=0.2,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        tables = await open_tables(pilot, app)
        tables.move_cursor(row=column(tables, "Table").index("orders"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#history-list"), "the history screen")
        history: DataTable[object] = app.screen.query_one("#history-list", DataTable)
        await wait_for(pilot, lambda: history.row_count, "the commits listed")
        since = server.mark()
        await pilot.press("C")  # the newest version (the DELETE) against the one before
        await wait_for(  # pushed, and composed: under load the first frame comes later
            pilot,
            lambda: isinstance(app.screen, CompareScreen) and app.screen.query("#compare-counts"),
            "the compare",
        )
        counts = app.screen.query_one("#compare-counts", DataTable)
        await wait_for(pilot, lambda: counts.row_count == 4, "the counts shown")
        fetched = server.data_files_fetched(since, "lake/orders")
        assert dict(zip(column(counts, "Rows"), column(counts, "Count"), strict=True)) == {
            "added": "0",
            "removed": "1",
            "changed": "0",
            "unchanged": "3,002",
        }
    assert fetched == files_of(local, MERGE) ^ files_of(local, DELETE)
