"""OPS-07 backups to a folder (an external drive): snapshot, restore, verify, prune, drill."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.backup import (
    BackupCancelled,
    BackupProgress,
    backup_due,
    backup_status,
    read_status,
    restore_snapshot,
    run_backup,
)
from lakeconsole.core.backup.restore import list_snapshots
from lakeconsole.core.settings import Settings
from tests.backup_fixtures import CliRunner, history, lake_listing, make_lake, rows, settings_with


def test_backup_then_restore_gives_the_same_tables_and_history(
    settings: Settings, tmp_path: Path
) -> None:
    tables = make_lake(settings.data_dir)
    (tables["gold"] / "NOTES.md").write_text("kept\n")  # a note inside a table's folder
    result = run_backup(settings, target=str(tmp_path / "usb"))
    assert result.tables == {"bronze/orders": 2, "silver/orders": 1, "gold/sales/daily_revenue": 0}

    restored = tmp_path / "restored"
    restore_snapshot(settings, to=restored, target=str(tmp_path / "usb"))
    for folder in tables.values():
        copy = restored / folder.relative_to(settings.data_dir)
        assert rows(copy) == rows(folder)
        assert history(copy) == history(folder)
        assert rows(copy, version=0) == rows(folder, version=0)  # time travel works too
    assert (
        restored / "landing" / "orders_2024-01-01.csv"
    ).read_text() == "order_id,qty\n1,2\n2,5\n"
    assert (restored / "gold" / "sales" / "README.md").exists()
    assert (restored / "_lakeconsole" / "runs" / "r1.json").exists()
    assert (restored / "gold" / "sales" / "daily_revenue" / "NOTES.md").read_text() == "kept\n"
    assert not (restored / "_lakeconsole" / "run.lock").exists()  # a live lock is not data


def test_backup_only_reads_the_lake(settings: Settings, tmp_path: Path) -> None:
    make_lake(settings.data_dir)
    before = lake_listing(settings.data_dir)
    run_backup(settings, target=str(tmp_path / "usb"), verify=True)
    assert lake_listing(settings.data_dir) == before


def test_second_backup_sends_only_what_changed(settings: Settings, tmp_path: Path) -> None:
    tables = make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    first = run_backup(settings, target=target)
    unchanged = run_backup(settings, target=target)
    assert first.sent_files == first.files and unchanged.sent_files == 0
    write_deltalake(str(tables["bronze"]), pa.table({"order_id": [99], "qty": [1]}), mode="append")
    changed = run_backup(settings, target=target)
    assert changed.sent_files == 2  # one parquet file and one commit
    assert len(list_snapshots(settings, target)) == 3


def test_file_deleted_from_the_lake_remains_in_the_earlier_snapshot(
    settings: Settings, tmp_path: Path
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    first = run_backup(settings, target=target)
    (settings.data_dir / "landing" / "orders_2024-01-01.csv").unlink()
    second = run_backup(settings, target=target)

    restore_snapshot(settings, snapshot=first.snapshot, to=tmp_path / "old", target=target)
    restore_snapshot(settings, snapshot=second.snapshot, to=tmp_path / "new", target=target)
    assert (tmp_path / "old" / "landing" / "orders_2024-01-01.csv").exists()
    assert not (tmp_path / "new" / "landing" / "orders_2024-01-01.csv").exists()


def test_prune_keeps_the_last_n_snapshots_and_drops_unused_blobs(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_with(env, BACKUP_KEEP="2")
    make_lake(settings.data_dir)
    target = tmp_path / "usb"
    gone = settings.data_dir / "landing" / "orders_2024-01-01.csv"
    first = run_backup(settings, target=str(target))
    gone.unlink()
    run_backup(settings, target=str(target))
    (settings.data_dir / "landing" / "orders_2024-01-03.csv").write_text("order_id,qty\n4,4\n")
    third = run_backup(settings, target=str(target))

    assert third.pruned == [first.snapshot]
    assert len(list_snapshots(settings, str(target))) == 2
    manifest = json.loads((target / "snapshots" / third.snapshot / "manifest.json").read_text())
    old_blob = json.loads(
        (Path(target) / "snapshots").joinpath(third.snapshot, "manifest.json").read_text()
    )["other_files"]["landing/orders_2024-01-03.csv"][0]
    assert (target / "blobs" / old_blob[:2] / old_blob).exists()
    blobs = {p.name for p in (target / "blobs").glob("*/*")}
    kept = {f[0] for t in manifest["tables"].values() for f in t["files"].values()}
    kept |= {f[0] for f in manifest["other_files"].values()}
    assert kept <= blobs
    assert len(blobs) < first.files + 2  # the deleted landing file's blob is gone with its snapshot


def test_verify_detects_a_corrupted_backup_file(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    make_lake(settings.data_dir)
    target = tmp_path / "usb"
    result = run_backup(settings, target=str(target))
    assert cli(["backup", "--verify-only", "--target", str(target)]).returncode == 0

    manifest = json.loads((target / "snapshots" / result.snapshot / "manifest.json").read_text())
    sha = manifest["other_files"]["landing/orders_2024-01-02.csv"][0]
    (target / "blobs" / sha[:2] / sha).write_text("order_id,qty\n3,100\n")

    out = cli(["backup", "--verify-only", "--target", str(target)])
    assert out.returncode == 1
    assert "corrupted in the backup: landing/orders_2024-01-02.csv" in out.stderr
    assert read_status(settings)["last_verify"]["ok"] is False

    # The next backup sends the damaged file again (the lake still has it): verify passes.
    assert cli(["backup", "--target", str(target)]).returncode == 0
    assert (
        cli(["backup", "--verify-only", result.snapshot, "--target", str(target)]).returncode == 0
    )


def test_restore_refuses_a_non_empty_lake_unless_forced(
    settings: Settings, tmp_path: Path, cli
) -> None:
    tables = make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_backup(settings, target=target)
    write_deltalake(str(tables["bronze"]), pa.table({"order_id": [99], "qty": [1]}), mode="append")
    before = lake_listing(settings.data_dir)

    refused = cli(["restore", "--target", target])
    assert refused.returncode == 75
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert lake_listing(settings.data_dir) == before

    forced = cli(["restore", "--target", target, "--force"])
    assert forced.returncode == 0, forced.stderr
    assert DeltaTable(str(tables["bronze"])).version() == 2  # back to the backed-up version
    aside = [p for p in settings.data_dir.parent.iterdir() if ".before-restore-" in p.name]
    assert len(aside) == 1 and DeltaTable(str(aside[0] / "bronze" / "orders")).version() == 3


def test_restore_into_an_empty_folder_with_the_cli(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    tables = make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    assert cli(["backup", "--target", target]).returncode == 0
    listed = cli(["backup", "--list", "--json", "--target", target])
    snapshot = json.loads(listed.stdout)[0]["snapshot"]

    out = cli(["restore", snapshot, "--to", str(tmp_path / "copy"), "--target", target])
    assert out.returncode == 0, out.stderr
    assert "✓ Restore Finished" in out.stdout
    assert rows(tmp_path / "copy" / "silver" / "orders") == rows(tables["silver"])


def test_restore_drill_passes_and_is_recorded(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    run_backup(settings, target=target)
    out = cli(["restore", "--drill", "--target", target])
    assert out.returncode == 0, out.stderr
    assert "✓ Restore Drill Passed" in out.stdout
    assert "silver/orders v1: 2 rows restored, lake had 2 — ok" in out.stdout
    assert read_status(settings)["last_drill"]["ok"] is True


def test_drill_fails_when_the_backup_is_damaged(
    settings: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    make_lake(settings.data_dir)
    target = tmp_path / "usb"
    result = run_backup(settings, target=str(target))
    manifest = json.loads((target / "snapshots" / result.snapshot / "manifest.json").read_text())
    sha = next(iter(manifest["tables"]["bronze/orders"]["files"].values()))[0]
    (target / "blobs" / sha[:2] / sha).unlink()
    out = cli(["restore", "--drill", "--target", str(target)])
    assert out.returncode == 1
    assert "Restore Drill Failed" in out.stderr
    assert read_status(settings)["last_drill"]["ok"] is False


def test_table_with_a_checkpoint_and_cleaned_up_log_restores(
    settings: Settings, tmp_path: Path
) -> None:
    table = settings.data_dir / "silver" / "events"
    for i in range(4):
        write_deltalake(str(table), pa.table({"n": [i]}), mode="append")
    DeltaTable(str(table)).create_checkpoint()
    write_deltalake(str(table), pa.table({"n": [4]}), mode="append")
    for v in range(3):  # as log retention would: commits before the checkpoint are gone
        (table / "_delta_log" / f"{v:020d}.json").unlink()

    run_backup(settings, target=str(tmp_path / "usb"))
    restore_snapshot(settings, to=tmp_path / "copy", target=str(tmp_path / "usb"))
    copy = tmp_path / "copy" / "silver" / "events"
    assert DeltaTable(str(copy)).version() == 4
    assert rows(copy) == rows(table) == [{"n": i} for i in range(5)]


def test_backup_while_a_run_writes_is_consistent(settings: Settings, tmp_path: Path) -> None:
    table = settings.data_dir / "bronze" / "stream"
    write_deltalake(str(table), pa.table({"n": [0]}), mode="append")
    for i in range(30):  # enough files that the backup overlaps the writer
        (settings.data_dir / "landing" / f"f{i}.csv").write_text("x\n" * 2000)
    stop = threading.Event()

    def writer() -> None:
        n = 1
        while not stop.is_set():
            write_deltalake(str(table), pa.table({"n": [n]}), mode="append")
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [run_backup(settings, target=str(tmp_path / "usb")) for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    for result in results:
        copy = tmp_path / result.snapshot
        restore_snapshot(settings, snapshot=result.snapshot, to=copy, target=str(tmp_path / "usb"))
        version = result.tables["bronze/stream"]
        restored = copy / "bronze" / "stream"
        assert DeltaTable(str(restored)).version() == version
        assert (
            rows(restored)
            == rows(table, version=version)
            == sorted(({"n": i} for i in range(version + 1)), key=repr)  # rows() sorts by repr
        )


def test_backup_status_says_overdue_until_a_backup_is_done(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_with(env, BACKUP_TARGET=str(tmp_path / "usb"))
    make_lake(settings.data_dir)
    [item] = backup_status(settings)
    assert item.overdue and "never backed up" in item.detail and backup_due(settings)
    run_backup(settings, verify=True)
    [item] = backup_status(settings)
    assert not item.overdue and item.last_done is not None and "verified ok" in item.detail
    assert "(just now)" in item.detail or " s ago)" in item.detail  # not "(0 d ago)"
    assert backup_due(settings, now=item.last_done + 8 * 86_400)


def test_cancelled_backup_records_no_snapshot(settings: Settings, tmp_path: Path) -> None:
    make_lake(settings.data_dir)
    target = str(tmp_path / "usb")
    cancel = threading.Event()

    def stop_while_sending(progress: BackupProgress) -> None:
        if progress.phase == "send" and progress.total:
            cancel.set()

    with pytest.raises(BackupCancelled):
        run_backup(settings, target=target, on_progress=stop_while_sending, cancel_event=cancel)
    assert list_snapshots(settings, target) == []
    assert "last_backup" not in read_status(settings)

    done = run_backup(settings, target=target)  # the next one completes and is listed
    assert [s.snapshot for s in list_snapshots(settings, target)] == [done.snapshot]
