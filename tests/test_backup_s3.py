"""OPS-07 for a lake on S3 (moto's server on 127.0.0.1): `backup` to a folder, an rclone remote
and another bucket prefix; `--verify`, the restore drill, and `restore` into an empty prefix,
under the lake's lease, never leaving a lake that looks whole while half of it is missing."""

from __future__ import annotations

import json
import shutil
import signal
import threading
from pathlib import Path

import pytest

from lakeconsole.core.backup import BackupCancelled, BackupError, restore_snapshot, run_backup
from lakeconsole.core.faults import at_point
from lakeconsole.core.lease import take_lease
from lakeconsole.core.settings import load_settings
from tests.backup_fixtures import (
    CliRunner,
    history,
    make_lake,
    open_delta,
    rclone_env,
    rows,
    s3_server,
)
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.test_foreign_tables import FOREIGN

__all__ = ["rclone_env", "s3_server", "s3_url"]  # fixtures, used by name

TABLES = ("bronze/orders", "silver/orders", "gold/sales/daily_revenue")


@pytest.fixture
def s3_lake(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str
) -> dict[str, str]:
    """The fixture lake copied into the bucket; the environment of a project using it there."""
    make_lake(home / "data")
    upload(home / "data", s3_location(s3_url, s3_server))
    return {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}


def assert_same_tables(s3_server: dict[str, str], lake: str, restored: str) -> None:
    for name in TABLES:
        a, b = (s3_location(f"{url}/{name}", s3_server) for url in (lake, restored))
        assert rows(b) == rows(a), name
        assert history(b) == history(a), name


def objects(s3_server: dict[str, str], url: str) -> list[str]:
    return sorted(f.name for f in s3_location(url, s3_server).walk())


def test_an_s3_lake_backs_up_to_a_folder_verifies_and_restores_into_a_fresh_prefix(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    usb = tmp_path / "usb"
    before = objects(s3_server, s3_url)
    done = cli(["backup", "--target", str(usb), "--verify"], env=s3_lake)
    assert done.returncode == 0, done.stderr
    assert "✓ Backup Finished" in done.stdout and "3 tables" in done.stdout
    assert "verified ok" in done.stdout
    # The lake is only read; its backup records are kept in the bucket, for every machine.
    records = {f"_lakeconsole/backup/{f}" for f in ("status.json", "lake-id", "hashes.json")}
    assert set(objects(s3_server, s3_url)) == set(before) | records
    status = json.loads(
        s3_location(f"{s3_url}/_lakeconsole/backup/status.json", s3_server).read_text()
    )
    assert status["last_verify"]["ok"] and status["last_backup"]["target"] == str(usb)

    fresh = f"{s3_url}-restored"
    restored = cli(["restore", "--to", fresh, "--target", str(usb)], env=s3_lake)

    assert restored.returncode == 0, restored.stderr
    assert f"into {fresh}" in restored.stdout and "silver/orders v1" in restored.stdout
    assert_same_tables(s3_server, s3_url, fresh)
    left = objects(s3_server, fresh)
    assert "_lakeconsole/restoring.json" not in left and "_lakeconsole/lease.json" not in left
    assert "gold/sales/README.md" in left and "landing/orders_2024-01-01.csv" in left
    assert "_lakeconsole/run.lock" not in left  # the live lock is not lake content


def test_an_s3_lake_has_the_manifest_of_the_same_lake_on_disk(
    cli: CliRunner,
    env: dict[str, str],
    s3_lake: dict[str, str],
    tmp_path: Path,
) -> None:
    for name, run_env in (("disk", env), ("s3", s3_lake)):
        out = cli(["backup", "--target", str(tmp_path / name), "--json"], env=run_env)
        assert out.returncode == 0, out.stderr
    disk, s3 = (
        json.loads(next((tmp_path / name / "snapshots").glob("*/manifest.json")).read_text())
        for name in ("disk", "s3")
    )
    assert s3["tables"] == disk["tables"]
    assert s3["other_files"] == disk["other_files"]
    assert s3["source"].startswith("s3://lake-backup/")


def test_the_restore_drill_of_an_s3_lake_compares_with_the_bucket(
    cli: CliRunner, s3_lake: dict[str, str], tmp_path: Path
) -> None:
    assert cli(["backup", "--target", str(tmp_path / "usb")], env=s3_lake).returncode == 0

    drill = cli(["restore", "--drill", "--target", str(tmp_path / "usb")], env=s3_lake)

    assert drill.returncode == 0, drill.stderr + drill.stdout
    assert "silver/orders v1: 2 rows restored, lake had 2 — ok" in drill.stdout
    assert "✓ Restore Drill Passed" in drill.stdout


def test_an_s3_lake_backs_up_to_another_bucket_prefix_and_restores(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str
) -> None:
    target = f"{s3_url}-backups"
    first = cli(["backup", "--target", target, "--verify"], env=s3_lake)
    assert first.returncode == 0, first.stderr
    again = cli(["backup", "--target", target, "--json"], env=s3_lake)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["sent_files"] == 0  # nothing changed: nothing re-sent

    fresh = f"{s3_url}-restored"
    restored = cli(["restore", "--to", fresh, "--target", target], env=s3_lake)

    assert restored.returncode == 0, restored.stderr
    assert_same_tables(s3_server, s3_url, fresh)


def test_an_s3_lake_backs_up_to_an_rclone_remote_and_restores(
    cli: CliRunner,
    s3_lake: dict[str, str],
    rclone_env: dict[str, str],
    s3_server: dict[str, str],
    s3_url: str,
    tmp_path: Path,
) -> None:
    run_env = {**rclone_env, **s3_lake}
    target = f"rclone:coldstore:{tmp_path / 'remote'}"
    done = cli(["backup", "--target", target, "--verify"], env=run_env)
    assert done.returncode == 0, done.stderr
    assert "verified ok" in done.stdout

    fresh = f"{s3_url}-restored"
    restored = cli(["restore", "--to", fresh, "--target", target], env=run_env)

    assert restored.returncode == 0, restored.stderr
    assert_same_tables(s3_server, s3_url, fresh)


@pytest.mark.slow
@pytest.mark.parametrize("to", ["folder", "bucket"])
def test_a_backup_killed_before_its_manifest_leaves_no_snapshot_verify_calls_good(
    to: str,
    cli: CliRunner,
    s3_lake: dict[str, str],
    s3_server: dict[str, str],
    s3_url: str,
    tmp_path: Path,
) -> None:
    usb = str(tmp_path / "usb") if to == "folder" else f"{s3_url}-backups"
    killed = cli(
        ["backup", "--target", usb],
        env={**s3_lake, "LAKECONSOLE_CRASH_AT": "backup.before_manifest"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    sent = (
        [p.name for p in (tmp_path / "usb").rglob("*") if p.is_file()]
        if to == "folder"
        else objects(s3_server, usb)
    )
    assert sent and not [f for f in sent if f.endswith("manifest.json")]  # blobs, no manifest...

    verify = cli(["backup", "--verify-only", "--target", usb], env=s3_lake)
    assert verify.returncode == 1  # ...but no snapshot is there to call good
    assert "No snapshots in" in verify.stderr

    rerun = cli(["backup", "--target", usb, "--verify", "--json"], env=s3_lake)
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert result["sent_files"] == 0 and result["verify"]["ok"]  # the blobs sent are reused


@pytest.mark.slow
def test_a_restore_killed_half_way_marks_the_prefix_and_the_rerun_finishes_it(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    usb = str(tmp_path / "usb")
    assert cli(["backup", "--target", usb], env=s3_lake).returncode == 0
    fresh = f"{s3_url}-restored"

    killed = cli(
        ["restore", "--to", fresh, "--target", usb],
        env={**s3_lake, "LAKECONSOLE_CRASH_AT": "restore.mid_write:5"},
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "_lakeconsole/restoring.json" in objects(s3_server, fresh)
    on_fresh = {**s3_lake, "LAKECONSOLE_DATA_DIR": fresh}
    refused = cli(["tables"], env=on_fresh)
    assert refused.returncode == 2
    assert f"the lake at {fresh} is half-restored" in refused.stderr
    snapshot = json.loads(
        next((tmp_path / "usb" / "snapshots").glob("*/manifest.json")).read_text()
    )
    again = f"lakeconsole restore {snapshot['snapshot']} --target {usb}"
    assert f"run `{again}` again to start it over" in refused.stderr

    rerun = cli(again.split()[1:], env=on_fresh)

    assert rerun.returncode == 0, rerun.stderr
    assert "a half-written restore left by an interrupted one" in rerun.stderr
    assert "_lakeconsole/restoring.json" not in objects(s3_server, fresh)
    assert_same_tables(s3_server, s3_url, fresh)
    assert cli(["tables"], env=on_fresh).returncode == 0


def test_a_restore_over_a_non_empty_s3_lake_is_refused_with_where_to_restore_instead(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    usb = str(tmp_path / "usb")
    assert cli(["backup", "--target", usb], env=s3_lake).returncode == 0
    before = objects(s3_server, s3_url)

    for force in ([], ["--force"]):
        refused = cli(["restore", "--target", usb, *force], env=s3_lake)
        assert refused.returncode == 75
        assert f"Restore refused: {s3_url} is not empty" in refused.stderr
        assert "restore into an empty prefix (--to s3://bucket/new-prefix)" in refused.stderr
    assert "--force cannot move a lake aside there" in refused.stderr
    assert objects(s3_server, s3_url) == before


def test_a_restore_waits_for_no_one_while_another_process_holds_the_lease(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    usb = str(tmp_path / "usb")
    assert cli(["backup", "--target", usb], env=s3_lake).returncode == 0
    fresh = f"{s3_url}-restored"
    held = take_lease(s3_location(fresh, s3_server), "lakeconsole run", "run-42")

    refused = cli(["restore", "--to", fresh, "--target", usb], env=s3_lake)

    assert refused.returncode == 75
    assert "Restore refused: A run is already going on this lake" in refused.stderr
    assert "lakeconsole run, run run-42" in refused.stderr
    assert objects(s3_server, fresh) == ["_lakeconsole/lease.json"]  # only the holder's lease
    held.release()


def test_a_lost_s3_lake_is_rebuilt_into_its_own_empty_prefix(
    cli: CliRunner, s3_lake: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    usb = str(tmp_path / "usb")
    assert cli(["backup", "--target", usb], env=s3_lake).returncode == 0
    lost = {**s3_lake, "LAKECONSOLE_DATA_DIR": f"{s3_url}-lost"}  # a new, empty prefix

    rebuilt = cli(["restore", "--target", usb], env=lost)

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert_same_tables(s3_server, s3_url, f"{s3_url}-lost")
    listed = cli(["backup", "--list", "--target", usb], env=lost)
    assert "this lake" in listed.stdout  # it took the lost lake's id


def test_a_local_lake_moves_to_s3_by_restoring_its_snapshot_into_an_empty_prefix(
    cli: CliRunner, env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    tables = make_lake(home / "data")
    usb = str(home.parent / "usb")
    on_disk = {**env, **s3_env(s3_server)}
    assert cli(["backup", "--target", usb], env=on_disk).returncode == 0

    moved = cli(["restore", "--to", s3_url, "--target", usb], env=on_disk)

    assert moved.returncode == 0, moved.stderr
    for folder in tables.values():
        name = folder.relative_to(home / "data").as_posix()
        in_bucket = s3_location(f"{s3_url}/{name}", s3_server)
        assert rows(in_bucket) == rows(folder) and history(in_bucket) == history(folder)
    listed = cli(["tables"], env={**on_disk, "LAKECONSOLE_DATA_DIR": s3_url})
    assert listed.returncode == 0 and "daily_revenue" in listed.stdout


def test_an_s3_table_whose_old_log_is_gone_restores_from_its_v2_checkpoint_and_sidecars(
    cli: CliRunner,
    env: dict[str, str],
    s3_server: dict[str, str],
    s3_url: str,
    tmp_path: Path,
) -> None:
    if not FOREIGN.is_dir():
        pytest.skip(f"no foreign tables at {FOREIGN} (the shared checkout is absent)")
    table = tmp_path / "spark_people"
    shutil.copytree(FOREIGN / "checkpoint-v2-table", table)
    # As after Databricks' log cleanup: the state up to v8 is only in the v2 checkpoint and its
    # sidecar, read from the bucket by the planner to find the data files.
    for version in range(9):
        for suffix in (".json", ".crc"):
            (table / "_delta_log" / f"{version:020d}{suffix}").unlink()
    upload(table, s3_location(f"{s3_url}/silver/spark_people", s3_server))
    on_s3 = {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}
    usb = str(tmp_path / "usb")
    assert cli(["backup", "--target", usb], env=on_s3).returncode == 0

    restored = tmp_path / "restored"
    done = cli(["restore", "--to", str(restored), "--target", usb], env=on_s3)

    assert done.returncode == 0, done.stderr
    copy = restored / "silver" / "spark_people"
    assert sorted(p.name for p in (copy / "_delta_log" / "_sidecars").iterdir()) == sorted(
        p.name for p in (table / "_delta_log" / "_sidecars").iterdir()
    )
    assert len(rows(copy)) == 44 and open_delta(copy).version() == 9


@pytest.mark.parametrize("failure", ["cancelled", "corrupted blob"])
def test_a_restore_into_a_prefix_that_stops_leaves_the_prefix_empty(
    failure: str,
    env: dict[str, str],
    s3_lake: dict[str, str],
    s3_server: dict[str, str],
    s3_url: str,
    tmp_path: Path,
) -> None:
    settings = load_settings(s3_lake)
    usb = tmp_path / "usb"
    result = run_backup(settings, target=str(usb))
    fresh = f"{s3_url}-restored"
    cancel = threading.Event()
    if failure == "corrupted blob":  # the log, written last, is where it is found
        manifest = json.loads((usb / "snapshots" / result.snapshot / "manifest.json").read_text())
        sha = manifest["tables"]["silver/orders"]["files"]["_delta_log/00000000000000000001.json"][
            0
        ]
        (usb / "blobs" / sha[:2] / sha).write_text("{}\n")

    action = cancel.set if failure == "cancelled" else (lambda: None)
    with at_point("restore.mid_write", action), pytest.raises(BackupError) as stopped:
        restore_snapshot(settings, to=fresh, target=str(usb), cancel_event=cancel)

    if failure == "cancelled":
        assert isinstance(stopped.value, BackupCancelled)
    else:
        assert "silver/orders/_delta_log/00000000000000000001.json is corrupted" in str(
            stopped.value
        )
    assert objects(s3_server, fresh) == []  # no object written, no mark, no lease left
