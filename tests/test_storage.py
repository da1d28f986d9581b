"""The storage layer: a local folder and an S3 prefix answer the same questions the same way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.lake import find_tables
from lakeconsole.core.storage import (
    LocalLocation,
    Location,
    StorageError,
    check_reachable,
    lake_location,
    s3_options,
)
from tests.backup_fixtures import s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


def small_lake(data_dir: Path) -> None:
    for name in ("bronze/orders", "silver/orders", "gold/sales/daily"):
        write_deltalake(str(data_dir / name), pa.table({"id": [1, 2]}))
    write_deltalake(
        str(data_dir / "silver/parted"),
        pa.table({"id": [1, 2], "day": ["a", "b"]}),
        partition_by=["day"],
    )
    (data_dir / "landing").mkdir()
    (data_dir / "landing" / "orders.csv").write_text("id\n1\n")


def names(root: Location, tables: list[Location]) -> list[str | None]:
    return [t.relative_to(root) for t in tables]


def test_local_and_s3_lakes_list_the_same_tables(
    tmp_path: Path, s3_url: str, s3_server: dict[str, str]
) -> None:
    small_lake(tmp_path / "data")
    remote = s3_location(s3_url, s3_server)
    upload(tmp_path / "data", remote)
    local = LocalLocation(tmp_path / "data")
    expected = ["bronze/orders", "gold/sales/daily", "silver/orders", "silver/parted"]
    assert names(local, find_tables(local)) == expected
    assert names(remote, find_tables(remote)) == expected
    # A local Path still gives Paths, for the parts that hold Paths.
    assert find_tables(tmp_path / "data") == [tmp_path / "data" / n for n in expected]


def test_local_and_s3_read_write_and_delete_alike(
    tmp_path: Path, s3_url: str, s3_server: dict[str, str]
) -> None:
    for root in (LocalLocation(tmp_path), s3_location(s3_url, s3_server)):
        file = root / "_lakeconsole" / "state.json"
        assert not file.exists()
        file.write_bytes(b'{"a": 1}')
        file.write_bytes(b'{"a": 2}')
        assert file.read_text() == '{"a": 2}' and file.exists()
        assert [(f.name, f.size) for f in (root / "_lakeconsole").files()] == [("state.json", 8)]
        assert file.mtime_ms() > 0
        assert [f.name for f in root.child_folders()] == ["_lakeconsole"]
        file.delete()
        assert not file.exists()
        with pytest.raises(StorageError, match="cannot read"):
            file.read_bytes()


def test_deltalake_opens_a_table_through_the_location(
    tmp_path: Path, s3_url: str, s3_server: dict[str, str]
) -> None:
    small_lake(tmp_path / "data")
    remote = s3_location(s3_url, s3_server)
    upload(tmp_path / "data" / "silver" / "orders", remote / "silver" / "orders")
    table = remote / "silver" / "orders"
    dt = DeltaTable(table.uri, storage_options=table.storage_options)
    assert dt.version() == 0 and table.uri == f"{s3_url}/silver/orders"


def test_missing_bucket_and_unreachable_endpoint_say_the_fix(
    s3_server: dict[str, str],
) -> None:
    env = s3_env(s3_server)
    with pytest.raises(StorageError, match=r"bucket 'no-such' does not exist .*aws s3 mb"):
        check_reachable(lake_location("s3://no-such/lake", env))
    down = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    with pytest.raises(
        StorageError, match=r"cannot reach http://127\.0\.0\.1:9 .*AWS_ENDPOINT_URL"
    ):
        check_reachable(lake_location("s3://lake-backup/lake", down))


@pytest.mark.parametrize("url", ["gs://bucket/lake", "abfss://c@acct.dfs.core.windows.net/x"])
def test_schemes_not_supported_yet_are_named(url: str) -> None:
    with pytest.raises(StorageError, match=f"{url.split(':')[0]}:// lakes are not supported yet"):
        lake_location(url, {})


def test_the_s3_options_take_the_aws_cli_region_and_allow_http_endpoints() -> None:
    opts = s3_options({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://h:9000"})
    assert opts == {
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://h:9000",
        "AWS_ALLOW_HTTP": "true",
    }


def test_a_local_lake_imports_no_object_store_client() -> None:
    code = "import sys, lakeconsole.core.lake; print('obstore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
