"""kill -9 of a vacuum on a lake in a bucket (moto's server on 127.0.0.1), at moments after it
took the lake's lease: every table still reads and is whole, the dead holder's lease refuses
others (naming it) until it expires, and a re-run finishes the vacuum: the bucket then holds the
same data files as the same lake vacuumed on disk (the logs differ by the killed VACUUM START)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakeconsole.core.storage import LocalLocation, Location
from lakeconsole.core.storage_walk import walk_files
from tests.backup_fixtures import CliRunner
from tests.conftest import REPO
from tests.s3_lake_fixtures import s3_location
from tests.test_s3_lake_upkeep import FORCED, Lakes, add_orphan, lakes, s3_server, s3_url

__all__ = ["lakes", "s3_server", "s3_url"]  # fixtures, used by name

TABLES = ("bronze/", "silver/", "gold/")


def data_files(where: Location) -> dict[str, int]:
    """The tables' data files and sizes (their logs differ: a killed vacuum's VACUUM START
    commit stays in the log, and the re-run commits its own)."""
    listed = walk_files(where).items()
    return {k: f.size for k, f in listed if k.startswith(TABLES) and "/_delta_log/" not in k}


@pytest.mark.parametrize("after_s", [0.0, 0.15, 0.4, 0.8])
def test_a_vacuum_killed_midway_leaves_a_whole_lake_and_a_rerun_finishes_it(
    cli: CliRunner,
    lakes: Lakes,
    home: Path,
    s3_server: dict[str, str],
    s3_url: str,
    after_s: float,
) -> None:
    remote = s3_location(s3_url, s3_server)
    add_orphan(home, remote)
    vacuum = ["vacuum", *FORCED, "--yes"]
    assert cli(vacuum, env=lakes[0]).returncode == 0  # the disk lake, vacuumed in one go
    victim = subprocess.Popen(
        [sys.executable, "-m", "lakeconsole.cli.main", *vacuum],
        env=lakes[1],
        cwd=str(REPO),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lease = remote / "_lakeconsole" / "lease.json"
    deadline = time.monotonic() + 60
    while not lease.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(after_s)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    # A lease left by the killed process is taken over at once: its holder ran on this host and
    # its pid is gone (core.lease), so the re-run below needs no wait for the expiry.
    for table in ("bronze/orders", "silver/orders", "gold/sales/daily_revenue"):
        assert cli(["show", table, "--limit", "0"], env=lakes[1]).returncode == 0, table
    again = cli(vacuum, env=lakes[1])
    assert again.returncode == 0, again.stderr
    assert data_files(remote) == data_files(LocalLocation(home / "data"))
    found = json.loads(cli(["check", "--json"], env=lakes[1]).stdout)["findings"]
    assert not [f for f in found if f["code"] == "DAMAGE"]
    assert not lease.exists()
