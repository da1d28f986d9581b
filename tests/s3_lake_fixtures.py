"""An S3 lake for the object-storage tests: moto's server on 127.0.0.1 (backup_fixtures'
s3_server) and a fresh key prefix per test in its bucket."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import pytest

from lakeconsole.core.storage import S3Location, lake_location

BUCKET = "lake-backup"  # the bucket s3_server makes
_prefixes = itertools.count()


@pytest.fixture
def s3_url(s3_server: dict[str, str], request: pytest.FixtureRequest) -> str:
    """An empty lake URL (`s3://lake-backup/<test>-<n>`) on the test server."""
    return f"s3://{BUCKET}/{request.node.name.split('[')[0]}-{next(_prefixes)}"


def s3_env(s3_server: Mapping[str, str]) -> dict[str, str]:
    """The settings that reach the server (http endpoint, test credentials)."""
    return {**s3_server, "AWS_ALLOW_HTTP": "true"}


def upload(folder: Path, target: S3Location) -> int:
    """Copy a local folder (a lake or a table) into the bucket, file by file; returns the count."""
    count = 0
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        (target / file.relative_to(folder).as_posix()).write_bytes(file.read_bytes())
        count += 1
    return count


def s3_location(url: str, s3_server: Mapping[str, str]) -> S3Location:
    return lake_location(url, s3_env(s3_server))
