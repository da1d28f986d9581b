"""A lake under s3://bucket/prefix (moto's server on 127.0.0.1) compared, checked and maintained:
each command gives what it gives on the same lake on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import S3Location
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


FORCED = ["--retention-hours", "0", "--force", "--reason", "s3 test"]


def add_orphan(home: Path, remote: S3Location, table: str = "bronze/orders") -> str:
    """The same crash leftover (a parquet file no commit names) in both lakes' table."""
    rel = f"{table}/part-00000-orphan-of-a-killed-write.parquet"
    (home / "data" / rel).write_bytes(b"PAR1 not really")
    (remote / rel).write_bytes(b"PAR1 not really")
    return rel


def test_vacuum_dry_run_lists_the_bucket_files_as_the_disk_ones(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    add_orphan(home, s3_location(s3_url, s3_server))
    on_disk, on_s3 = on_both(cli, lakes, "vacuum", "--dry-run", *FORCED)
    assert on_s3 == on_disk
    assert "part-00000-orphan-of-a-killed-write.parquet" in on_s3 and "crash leftover" in on_s3
    assert "silver/orders: 1 file(s)" in on_s3  # the overwritten north partition's file


def test_vacuum_under_168_hours_is_refused_on_the_bucket_as_on_disk(
    cli: CliRunner, lakes: Lakes
) -> None:
    on_disk, on_s3 = (cli(["vacuum", "--retention-hours", "0", "--yes"], env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 75
    assert on_s3.stderr == on_disk.stderr
    assert "below the 168 h minimum (OPS-03)" in on_s3.stderr


def bucket_files(remote: S3Location) -> dict[str, int]:
    from lakeconsole.core.storage_walk import walk_files

    return {rel: f.size for rel, f in walk_files(remote).items()}


def test_vacuum_deletes_in_the_bucket_what_it_deletes_on_disk_and_records_it_there(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.maintenance.ledger import read_records
    from lakeconsole.core.storage import LocalLocation
    from lakeconsole.core.storage_walk import walk_files

    remote = s3_location(s3_url, s3_server)
    orphan = add_orphan(home, remote)
    on_disk, on_s3 = on_both(cli, lakes, "vacuum", *FORCED, "--yes", "--json")
    done_disk, done_s3 = json.loads(on_disk), json.loads(on_s3)
    for result in done_disk["results"] + done_s3["results"]:
        result.pop("at")
    assert done_s3 == done_disk
    assert sum(r["files"] for r in done_s3["results"]) == 2
    tables = ("bronze", "silver", "gold")
    left_disk = {
        k: v.size
        for k, v in walk_files(LocalLocation(home / "data")).items()
        if k.startswith(tables)
    }
    assert {k: v for k, v in bucket_files(remote).items() if k.startswith(tables)} == left_disk
    assert orphan not in left_disk
    ledger = read_records(remote / "_lakeconsole", "vacuum")
    assert sorted(r["table"] for r in ledger) == [
        "bronze/orders",
        "gold/sales/daily_revenue",
        "silver/orders",
    ]
    assert all(r["forced"] and r["reason"] == "s3 test" for r in ledger)
    assert not (remote / "_lakeconsole" / "lease.json").exists(), "the lease was not released"
    assert not list(home.rglob("s3*")), "a local folder named after the URL was written"
    rows = cli(["show", "silver/orders", "--json"], env=lakes[1])
    assert rows.returncode == 0 and len(json.loads(rows.stdout)["rows"]) == 2


def test_a_held_lease_makes_vacuum_refuse_naming_the_holder(
    cli: CliRunner, lakes: Lakes, s3_server: dict[str, str], s3_url: str
) -> None:
    import socket

    from lakeconsole.core.lease import take_lease
    from lakeconsole.core.maintenance.ledger import read_records

    remote = s3_location(s3_url, s3_server)
    before = bucket_files(remote)
    lease = take_lease(remote, "lakeconsole run", "20261203T130000-000001Z-4242")
    try:
        out = cli(["vacuum", *FORCED, "--yes"], env=lakes[1])
    finally:
        lease.release()
    assert out.returncode == 75, out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("✗ VACUUM refused: A run is already going on this lake: process ")
    assert f"on {socket.gethostname()} (lakeconsole run, run 20261203T130000-000001Z-4242" in line
    after = bucket_files(remote)
    after.pop("_lakeconsole/lease.json", None)
    assert after == before, "vacuum deleted or wrote files while another process held the lease"
    assert read_records(remote / "_lakeconsole") == []


@pytest.fixture
def zorder_lakes(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str, settings: Settings
) -> tuple[Lakes, str]:
    """The lakes of `lakes` plus silver/sales_orders in two small files, and the column the
    shipped pipeline Z-ORDERs it by."""
    import pyarrow as pa
    from deltalake import write_deltalake

    from lakeconsole.core.maintenance.optimize import zorder_columns

    make_lake(home / "data")
    table = home / "data" / "silver" / "sales_orders"
    column = zorder_columns(table, settings)[0]
    for i in range(3):
        write_deltalake(str(table), pa.table({column: [f"v{2 - i}"], "qty": [i]}), mode="append")
    upload(home / "data", s3_location(s3_url, s3_server))
    return (env, {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}), column


def test_optimize_zorders_the_bucket_table_as_the_disk_one_and_records_it_there(
    cli: CliRunner, zorder_lakes: tuple[Lakes, str], s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.maintenance.ledger import read_records

    lakes, column = zorder_lakes
    on_disk, on_s3 = on_both(cli, lakes, "optimize", "silver/sales_orders", "--zorder", "--json")
    assert json.loads(on_s3) == json.loads(on_disk)
    [result] = json.loads(on_s3)
    assert (result["files_before"], result["files_after"], result["zorder_by"]) == (3, 1, [column])
    shown = [json.loads(o) for o in on_both(cli, lakes, "show", "silver/sales_orders", "--json")]
    assert shown[1]["rows"] == shown[0]["rows"] and len(shown[1]["rows"]) == 3
    assert shown[1]["commit"]["operation"] == shown[0]["commit"]["operation"] == "OPTIMIZE"
    [record] = read_records(s3_location(s3_url, s3_server) / "_lakeconsole", "optimize")
    assert record["table"] == "silver/sales_orders" and record["zorder_by"] == [column]


def test_optimize_every_bucket_table_compacts_as_on_disk(cli: CliRunner, lakes: Lakes) -> None:
    on_disk, on_s3 = on_both(cli, lakes, "optimize")
    assert on_s3 == on_disk
    assert "bronze/orders: compacted: 3 file(s)" in on_s3


def test_restore_version_in_the_bucket_commits_the_restore_the_disk_lake_gets(
    cli: CliRunner, lakes: Lakes
) -> None:
    on_disk, on_s3 = on_both(cli, lakes, "restore-version", "silver/orders", "0", "--yes", "--json")
    disk, s3 = json.loads(on_disk), json.loads(on_s3)
    assert s3["plan"].pop("path").startswith("s3://")
    disk["plan"].pop("path")
    assert s3 == disk and s3["new_version"] == 2
    shown = [json.loads(o) for o in on_both(cli, lakes, "show", "silver/orders", "--json")]
    assert shown[1]["rows"] == shown[0]["rows"] and shown[1]["total_rows"] == 3
    assert shown[1]["commit"]["operation"] == "RESTORE"


def test_restore_version_refuses_while_another_process_holds_the_lease(
    cli: CliRunner, lakes: Lakes, s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.lease import take_lease

    lease = take_lease(s3_location(s3_url, s3_server), "lakeconsole vacuum", "r-elsewhere")
    try:
        out = cli(["restore-version", "silver/orders", "0", "--yes"], env=lakes[1])
    finally:
        lease.release()
    assert out.returncode == 75
    assert "✗ Restore refused: A run is already going on this lake: process" in out.stderr
    assert "(lakeconsole vacuum, run r-elsewhere" in out.stderr
    assert "version 1" in cli(["history", "silver/orders", "--limit", "1"], env=lakes[1]).stdout


def check_json(cli: CliRunner, env: dict[str, str]) -> Any:
    out = cli(["check", "--json"], env=env)
    assert out.returncode == 1, out.stderr  # the fixture lake breaks the sales contracts
    return json.loads(out.stdout)


def test_check_finds_in_the_bucket_what_it_finds_on_disk(cli: CliRunner, lakes: Lakes) -> None:
    on_disk, on_s3 = (check_json(cli, e) for e in lakes)
    assert on_s3["findings"] == on_disk["findings"]
    # The mart README (in the project for the bucket lake, the same file here) is checked too.
    assert {f["code"] for f in on_s3["findings"]} == {"OPS-05", "OPS-06", "OPS-07"}
    assert "not_checked" not in on_s3
    assert "not checked" not in cli(["check"], env=lakes[1]).stderr


def test_check_and_tables_find_an_emptied_commit_in_the_bucket(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    newest = "bronze/orders/_delta_log/00000000000000000002.json"
    (home / "data" / newest).write_bytes(b"")
    (s3_location(s3_url, s3_server) / newest).write_bytes(b"")
    on_disk, on_s3 = (check_json(cli, e) for e in lakes)
    damage = [f for f in on_s3["findings"] if f["code"] == "DAMAGE"]
    assert damage == [f for f in on_disk["findings"] if f["code"] == "DAMAGE"]
    assert damage[0]["subject"] == "bronze/orders"
    assert "commit 2 (_delta_log/00000000000000000002.json) is empty" in damage[0]["message"]
    tables_disk, tables_s3 = on_both(cli, lakes, "tables")
    assert tables_s3 == tables_disk and "damaged: commit" in tables_s3


def vacuumed_long_ago(home: Path, remote: S3Location, days: float = 30) -> None:
    """Both lakes' ledgers say every table was last vacuumed `days` ago: vacuum is due."""
    import time

    from lakeconsole.core.maintenance.ledger import append_record

    at = time.time() - days * 86400
    for table in ("bronze/orders", "silver/orders", "gold/sales/daily_revenue"):
        record = {"action": "vacuum", "at": at, "table": table, "files": 0, "bytes": 0}
        append_record(home / "data" / "_lakeconsole", record)
        append_record(remote / "_lakeconsole", record)


def test_maintain_vacuums_the_due_bucket_tables_as_on_disk(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.maintenance.ledger import read_records

    remote = s3_location(s3_url, s3_server)
    vacuumed_long_ago(home, remote)
    on_disk, on_s3 = on_both(cli, lakes, "maintain", "--skip-backup", "--json")
    assert json.loads(on_s3) == json.loads(on_disk)
    assert json.loads(on_s3)["done"][0] == "vacuumed 3 table(s), 0 file(s), 0 B"
    assert len(read_records(remote / "_lakeconsole", "vacuum")) == 6
    again = cli(["maintain", "--skip-backup"], env=lakes[1])
    assert again.returncode == 0 and "vacuum not due" in again.stdout
    assert not list(home.rglob("s3*")), "a local folder named after the URL was written"


def test_maintain_on_the_bucket_refuses_while_another_process_holds_the_lease(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.lease import take_lease

    remote = s3_location(s3_url, s3_server)
    vacuumed_long_ago(home, remote)
    lease = take_lease(remote, "lakeconsole run", "r-on-another-host")
    try:
        out = cli(["maintain", "--skip-backup"], env=lakes[1])
    finally:
        lease.release()
    assert out.returncode == 75
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith("✗ Maintenance Failed: A run is already going on this lake: process ")
    )
    assert "(lakeconsole run, run r-on-another-host" in out.stderr


def test_maintain_vacuums_then_backs_up_the_bucket_lake_when_due(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    remote = s3_location(s3_url, s3_server)
    vacuumed_long_ago(home, remote)
    usb = tmp_path / "usb"
    out = cli(["maintain"], env={**lakes[1], "BACKUP_TARGET": str(usb)})
    assert out.returncode == 0, out.stderr
    assert "vacuumed 3 table(s)" in out.stdout and "backup " in out.stdout
    listed = cli(["backup", "--list", "--target", str(usb)], env=lakes[1])
    snapshots = listed.stdout.splitlines()[1:]
    assert listed.returncode == 0 and len(snapshots) == 1, listed.stdout
    assert snapshots[0].split()[4:7] == ["lake", "3", "18"]  # "this lake", 3 tables, 18 files
    again = cli(["maintain"], env={**lakes[1], "BACKUP_TARGET": str(usb)})
    assert "vacuum not due" in again.stdout and "backup not due" in again.stdout
    assert not list(home.rglob("s3*"))


def test_repair_drops_a_live_file_lost_from_the_bucket_as_on_disk(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    from deltalake import DeltaTable

    bronze = home / "data" / "bronze" / "orders"
    lost = Path(DeltaTable(str(bronze)).file_uris()[0]).name
    (bronze / lost).unlink()
    (s3_location(s3_url, s3_server) / "bronze/orders" / lost).delete()
    check_disk, check_s3 = (check_json(cli, e) for e in lakes)
    damage = [f["message"] for f in check_s3["findings"] if f["code"] == "DAMAGE"]
    assert damage == [f["message"] for f in check_disk["findings"] if f["code"] == "DAMAGE"]
    assert damage and damage[0].startswith("1 live file(s) of bronze/orders are missing")
    dry_disk, dry_s3 = on_both(cli, lakes, "repair", "bronze/orders", "--dry-run")
    assert dry_s3 == dry_disk and lost in dry_s3 and "nothing changed" in dry_s3
    done_disk, done_s3 = on_both(cli, lakes, "repair", "bronze/orders")
    assert done_s3 == done_disk and "now version 3" in done_s3
    shown = [json.loads(o) for o in on_both(cli, lakes, "show", "bronze/orders", "--json")]
    assert shown[1]["rows"] == shown[0]["rows"] and shown[1]["total_rows"] == 4
    assert not [f for f in check_json(cli, lakes[1])["findings"] if f["code"] == "DAMAGE"]


def test_repair_on_the_bucket_refuses_while_another_process_holds_the_lease(
    cli: CliRunner, lakes: Lakes, s3_server: dict[str, str], s3_url: str
) -> None:
    from lakeconsole.core.lease import take_lease

    lease = take_lease(s3_location(s3_url, s3_server), "lakeconsole run", "r-busy")
    try:
        out = cli(["repair", "bronze/orders"], env=lakes[1])
    finally:
        lease.release()
    assert out.returncode == 75
    assert out.stderr.startswith("✗ Repair refused: A run is already going on this lake: process")


def test_vacuum_full_dry_run_lists_the_bucket_as_the_disk(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    remote = s3_location(s3_url, s3_server)
    for where in (home / "data" / "silver" / "orders", None):
        note = b"kept: not a data file"
        if where is None:
            (remote / "silver/orders/NOTES.txt").write_bytes(note)
        else:
            (where / "NOTES.txt").write_bytes(note)
    on_disk, on_s3 = on_both(cli, lakes, "vacuum", "--dry-run", "--full", *FORCED)
    assert on_s3 == on_disk and "keeps NOTES.txt: not a data file" in on_s3


def test_concurrent_ledger_appends_to_the_bucket_all_land(
    s3_server: dict[str, str], s3_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lakeconsole.core.maintenance.ledger import append_record, read_records

    state = s3_location(s3_url, s3_server) / "_lakeconsole"

    def append(n: int) -> None:
        append_record(state, {"action": "optimize", "at": float(n), "table": f"t{n}"})

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(append, range(12)))
    assert sorted(r["table"] for r in read_records(state)) == sorted(f"t{n}" for n in range(12))


def test_maintain_names_a_bad_line_of_the_bucket_ledger(
    cli: CliRunner, lakes: Lakes, s3_server: dict[str, str], s3_url: str
) -> None:
    ledger = s3_location(s3_url, s3_server) / "_lakeconsole" / "maintenance.jsonl"
    ledger.write_bytes(b'{"hand": "edited"}\n')
    out = cli(["maintain", "--skip-backup", "--dry-run"], env=lakes[1])
    assert out.returncode == 0, out.stderr
    assert f"warning: skipped line 1 of {ledger.uri}: not a maintenance record" in out.stderr


def test_a_torn_commit_in_the_bucket_is_named_as_on_disk_when_show_fails(
    cli: CliRunner, lakes: Lakes, home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    newest = "bronze/orders/_delta_log/00000000000000000002.json"
    (home / "data" / newest).write_bytes(b'{"commitInfo": {"timest')
    (s3_location(s3_url, s3_server) / newest).write_bytes(b'{"commitInfo": {"timest')
    on_disk, on_s3 = (cli(["show", "bronze/orders"], env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 1
    assert on_s3.stderr == on_disk.stderr
    assert on_s3.stderr.startswith("table bronze/orders is damaged: commit 2 ")
