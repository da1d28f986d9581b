"""Tables Spark and Databricks wrote (../shared/foreign-tables/delta-rs), copied into a bucket
(moto's server on 127.0.0.1): features, the damage check, compare and the write refusals give
what they give on the same tables on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.backup_fixtures import CliRunner, s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.test_foreign_tables import FOREIGN

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name

pytestmark = pytest.mark.skipif(
    not FOREIGN.is_dir(), reason=f"no foreign tables at {FOREIGN} (the shared checkout is absent)"
)
# A v2 checkpoint with sidecars, deletion vectors, column mapping, liquid clustering.
TABLES = (
    "checkpoint-v2-table",
    "table-with-dv-small",
    "table_with_column_mapping",
    "table_with_liquid_clustering",
)
Lakes = tuple[dict[str, str], dict[str, str]]


@pytest.fixture
def lakes(env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str) -> Lakes:
    """The foreign tables under other/ of a lake on disk and of the same lake in the bucket."""
    for name in TABLES:
        shutil.copytree(FOREIGN / name, home / "data" / "other" / name)
    upload(home / "data", s3_location(s3_url, s3_server))
    return env, {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}


@pytest.mark.parametrize("name", TABLES)
def test_features_of_a_foreign_table_in_the_bucket_are_those_on_disk(
    cli: CliRunner, lakes: Lakes, name: str
) -> None:
    on_disk, on_s3 = (cli(["features", f"other/{name}", "--json"], env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 0, on_s3.stderr
    disk, s3 = json.loads(on_disk.stdout), json.loads(on_s3.stdout)
    disk.pop("path"), s3.pop("path")
    assert s3 == disk


def test_check_finds_no_damage_in_the_foreign_tables_of_the_bucket(
    cli: CliRunner, lakes: Lakes
) -> None:
    on_disk, on_s3 = (json.loads(cli(["check", "--json"], env=e).stdout) for e in lakes)
    damage = [f for f in on_s3["findings"] if f["code"] == "DAMAGE"]
    assert damage == [f for f in on_disk["findings"] if f["code"] == "DAMAGE"] == []


@pytest.mark.parametrize("command", [["vacuum", "--yes"], ["optimize"]])
def test_writes_delta_rs_cannot_do_are_refused_in_the_bucket_as_on_disk(
    cli: CliRunner, lakes: Lakes, command: list[str]
) -> None:
    table = "other/table_with_column_mapping"
    on_disk, on_s3 = (cli([*command[:1], table, *command[1:]], env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 75
    assert on_s3.stderr == on_disk.stderr
    assert "delta-rs cannot write" in on_s3.stderr
