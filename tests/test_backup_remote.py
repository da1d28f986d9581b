"""OPS-07 backups through the real tools: rclone to a local remote, `aws s3` to local S3."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lakeconsole.core.backup import restore_snapshot, run_backup
from lakeconsole.core.backup.restore import list_snapshots
from tests.backup_fixtures import (
    CliRunner,
    history,
    make_lake,
    rclone_env,
    rows,
    s3_server,
    settings_with,
)

__all__ = ["rclone_env", "s3_server"]  # fixtures, used by name


def test_unknown_rclone_remote_names_rclone_config(
    rclone_env: dict[str, str], cli: CliRunner
) -> None:
    # Needs the rclone binary to ask it about the remote: skipped without it, like its siblings.
    out = cli(["backup", "--target", "rclone:nowhere:lake"], env=rclone_env)
    assert out.returncode == 69
    assert (
        "rclone remote 'nowhere' is not configured" in out.stderr and "rclone config" in out.stderr
    )


def test_rclone_backup_restores_equal_tables(rclone_env: dict[str, str], tmp_path: Path) -> None:
    settings = settings_with(rclone_env, BACKUP_KEEP="2")
    tables = make_lake(settings.data_dir)
    target = f"rclone:coldstore:{tmp_path / 'remote'}"
    first = run_backup(settings, target=target, verify=True)
    assert first.verify is not None and first.verify.ok
    second = run_backup(settings, target=target)
    assert second.sent_files == 0
    run_backup(settings, target=target)
    assert [s.snapshot for s in list_snapshots(settings, target)] == [
        second.snapshot,
        list_snapshots(settings, target)[-1].snapshot,
    ]

    restore_snapshot(settings, to=tmp_path / "copy", target=target)
    for folder in tables.values():
        copy = tmp_path / "copy" / folder.relative_to(settings.data_dir)
        assert rows(copy) == rows(folder) and history(copy) == history(folder)


def test_rclone_remote_without_prefix_and_verify_finds_corruption(
    rclone_env: dict[str, str],
    tmp_path: Path,
    cli: CliRunner,
) -> None:
    settings = settings_with(rclone_env)
    make_lake(settings.data_dir)
    remote = tmp_path / "remote"
    target = f"coldstore:{remote}"  # a configured remote works without the rclone: prefix
    result = run_backup(settings, target=target)
    manifest = json.loads((remote / "snapshots" / result.snapshot / "manifest.json").read_text())
    sha = manifest["other_files"]["gold/sales/README.md"][0]
    blob = remote / "blobs" / sha[:2] / sha
    mtime = blob.stat().st_mtime_ns
    blob.write_text("# Sales\n## Owner\nCFO 0ffice\n")  # bit rot: same size, same time
    os.utime(blob, ns=(mtime, mtime))

    out = cli(["backup", "--verify-only", "--target", target], env=rclone_env)
    assert out.returncode == 1
    assert "corrupted in the backup: gold/sales/README.md" in out.stderr
    assert cli(["backup", "--target", target], env=rclone_env).returncode == 0
    repaired = cli(["backup", "--verify-only", result.snapshot, "--target", target], env=rclone_env)
    assert repaired.returncode == 0, repaired.stderr


@pytest.mark.slow
def test_s3_backup_restores_equal_tables(
    env: dict[str, str], s3_server: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_with(env, **s3_server, BACKUP_KEEP="1")
    tables = make_lake(settings.data_dir)
    target = "s3://lake-backup/laptop"
    first = run_backup(settings, target=target, verify=True)
    assert first.verify is not None and first.verify.ok
    (settings.data_dir / "landing" / "orders_2024-01-01.csv").unlink()
    second = run_backup(settings, target=target)
    assert second.pruned == [first.snapshot] and second.sent_files == 0

    restore_snapshot(settings, to=tmp_path / "copy", target=target)
    for folder in tables.values():
        copy = tmp_path / "copy" / folder.relative_to(settings.data_dir)
        assert rows(copy) == rows(folder) and history(copy) == history(folder)
    assert not (tmp_path / "copy" / "landing" / "orders_2024-01-01.csv").exists()


def test_s3_missing_bucket_is_one_clear_line_and_no_secret_leaks(
    env: dict[str, str], home: Path, s3_server: dict[str, str], cli: CliRunner
) -> None:
    out = cli(["backup", "--target", "s3://no-such-bucket/lake"], env={**env, **s3_server})
    assert out.returncode == 69
    assert out.stderr.strip().count("\n") == 0
    assert "bucket 'no-such-bucket' does not exist" in out.stderr and "aws s3 mb" in out.stderr
    log = (home / "logs" / "app.log").read_text()
    assert "no-such-bucket" in log  # the failure is logged...
    assert s3_server["AWS_SECRET_ACCESS_KEY"] not in out.stdout + out.stderr + log  # ...no secret


def test_s3_unreachable_endpoint_fails_fast_and_clearly(
    env: dict[str, str], cli: CliRunner
) -> None:
    if shutil.which("aws") is None:
        pytest.skip("aws is not installed")
    dead = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    out = cli(["backup", "--target", "s3://lake-backup/x"], env={**env, **dead})
    assert out.returncode == 69
    assert "not reachable" in out.stderr and "Traceback" not in out.stderr


def test_s3_without_credentials_names_where_to_set_them(
    env: dict[str, str], s3_server: dict[str, str], cli: CliRunner
) -> None:
    bare = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    bare.update(
        AWS_ENDPOINT_URL=s3_server["AWS_ENDPOINT_URL"],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_CONFIG_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    out = cli(["backup", "--target", "s3://lake-backup/x"], env=bare)
    assert out.returncode == 69
    assert "AWS_ACCESS_KEY_ID" in out.stderr and out.stderr.count("\n") == 1
