"""A lake under s3://bucket/prefix (moto's server on 127.0.0.1) compared, checked and maintained:
each command gives what it gives on the same lake on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backup_fixtures import CliRunner, make_lake, s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name

Lakes = tuple[dict[str, str], dict[str, str]]


@pytest.fixture
def lakes(env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str) -> Lakes:
    """(environment of the lake on disk, environment of the same lake copied into the bucket)."""
    make_lake(home / "data")
    upload(home / "data", s3_location(s3_url, s3_server))
    return env, {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}


def on_both(cli: CliRunner, lakes: Lakes, *args: str) -> tuple[str, str]:
    """The command's stdout on the disk lake and on the bucket lake; both must succeed."""
    on_disk, on_s3 = (cli(list(args), env=e) for e in lakes)
    assert on_disk.returncode == 0, on_disk.stderr
    assert on_s3.returncode == 0, on_s3.stderr
    return on_disk.stdout, on_s3.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["silver/orders", "--compare", "0..1", "--key", "order_id"],
        ["bronze/orders", "--compare", "0..2", "--key", "order_id", "--json"],
    ],
    ids=["text", "json"],
)
def test_compare_counts_the_bucket_versions_as_the_disk_ones(
    cli: CliRunner, lakes: Lakes, args: list[str]
) -> None:
    on_disk, on_s3 = on_both(cli, lakes, "show", *args)
    if "--json" in args:
        disk, s3 = json.loads(on_disk), json.loads(on_s3)
        assert s3.pop("path").startswith("s3://") and disk.pop("path") != ""
        assert s3 == disk and s3["added"] == 4
    else:
        assert on_s3 == on_disk
        assert "removed" in on_s3


@pytest.mark.parametrize("table", ["silver/orders", "bronze/orders"])
def test_features_of_a_bucket_table_are_those_on_disk(
    cli: CliRunner, lakes: Lakes, table: str
) -> None:
    on_disk, on_s3 = (cli(["features", table, "--json"], env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 0, on_s3.stderr
    disk, s3 = json.loads(on_disk.stdout), json.loads(on_s3.stdout)
    assert s3.pop("path").startswith("s3://")
    disk.pop("path")
    assert s3 == disk
    assert s3["checkpoint"]["kind"] == "none"


def test_features_reads_a_checkpoint_in_the_bucket(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    from deltalake import DeltaTable

    DeltaTable(str(home / "data" / "bronze" / "orders")).create_checkpoint()
    upload(home / "data" / "bronze" / "orders", s3_location(s3_url, s3_server) / "bronze/orders")
    on_disk, on_s3 = on_both(cli, lakes, "features", "bronze/orders")
    assert on_s3.split("\n", 1)[1] == on_disk.split("\n", 1)[1]
    assert "v2 (classic), 0 commit(s) since" in on_s3
