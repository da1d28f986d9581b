"""Fixtures for the backup tests: a small lake with real Delta history, an S3 server, rclone."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder, write_deltalake

from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.core.storage import Location, as_location

VENV_BIN = Path(sys.executable).parent
CliRunner = Callable[..., subprocess.CompletedProcess[str]]  # the `cli` fixture of conftest.py


def make_lake(data_dir: Path) -> dict[str, Path]:
    """Landing CSVs, a bronze table with appends, a partitioned silver table with an overwrite,
    a gold mart with its README, run history in the state dir. Returns the tables' folders."""
    (data_dir / "landing").mkdir(parents=True, exist_ok=True)
    (data_dir / "landing" / "orders_2024-01-01.csv").write_text("order_id,qty\n1,2\n2,5\n")
    (data_dir / "landing" / "orders_2024-01-02.csv").write_text("order_id,qty\n3,1\n")
    bronze = data_dir / "bronze" / "orders"
    for day in range(3):
        write_deltalake(
            str(bronze),
            pa.table({"order_id": [day * 10, day * 10 + 1], "qty": [day, 7]}),
            mode="append",
        )
    silver = data_dir / "silver" / "orders"
    data = pa.table(
        {"order_id": [1, 2, 3], "region": ["north", "south west", "north"], "qty": [2, 5, 1]}
    )
    write_deltalake(str(silver), data, mode="append", partition_by=["region"])
    write_deltalake(
        str(silver),
        data.slice(0, 1),
        mode="overwrite",
        partition_by=["region"],
        predicate="region = 'north'",
    )
    gold = data_dir / "gold" / "sales" / "daily_revenue"
    write_deltalake(
        str(gold), pa.table({"day": ["2024-01-01"], "revenue": [12.5]}), mode="overwrite"
    )
    (data_dir / "gold" / "sales" / "README.md").write_text("# Sales\n## Owner\nCFO Office\n")
    (data_dir / "_lakeconsole" / "runs").mkdir(parents=True, exist_ok=True)
    (data_dir / "_lakeconsole" / "runs" / "r1.json").write_text('{"run_id": "r1"}')
    (data_dir / "_lakeconsole" / "run.lock").write_text("")
    return {"bronze": bronze, "silver": silver, "gold": gold}


def open_delta(path: Path | Location, version: int | None = None) -> DeltaTable:
    """A table on disk or in the test bucket."""
    where = as_location(path)
    return DeltaTable(where.uri, version=version, storage_options=where.storage_options)


def rows(path: Path | Location, version: int | None = None) -> list[dict[str, Any]]:
    """A table's rows, sorted, read with QueryBuilder (no exit-time abort, see DELTALAKE-NOTES)."""
    dt = open_delta(path, version)
    table = pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t"))
    return sorted(table.to_pylist(), key=repr)


def history(path: Path | Location) -> list[tuple[Any, ...]]:
    return [
        (h["version"], h.get("operation"), h.get("timestamp")) for h in open_delta(path).history()
    ]


def lake_listing(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file of the lake with size and mtime: equal before and after means 'untouched'."""
    out = {}
    for p in sorted(data_dir.rglob("*")):
        if p.is_file() and "backup" not in p.relative_to(data_dir).parts:
            st = p.stat()
            out[p.relative_to(data_dir).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def settings_with(env: dict[str, str], **extra: str) -> Settings:
    return load_settings({**env, **extra})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[dict[str, str]]:
    """moto's S3 server on 127.0.0.1 with a bucket; yields the environment to reach it."""
    moto = shutil.which("moto_server") or str(VENV_BIN / "moto_server")
    aws = shutil.which("aws") or str(VENV_BIN / "aws")
    if not Path(moto).exists() or not Path(aws).exists():
        pytest.skip("moto_server or aws is not installed (pip install 'moto[server]' awscli)")
    port = free_port()
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        subprocess.run(
            [aws, "s3", "mb", "s3://lake-backup", "--endpoint-url", env["AWS_ENDPOINT_URL"]],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def rclone_env(env: dict[str, str]) -> dict[str, str]:
    """The environment with a local rclone remote named `coldstore` (no config file needed)."""
    if shutil.which("rclone", path=env.get("PATH")) is None:
        pytest.skip("rclone is not installed (apt install rclone); CI installs it")
    return {**env, "RCLONE_CONFIG_COLDSTORE_TYPE": "local", "RCLONE_CONFIG": "/dev/null"}
