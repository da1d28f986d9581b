"""`lakeconsole trace` on a lake under s3://bucket/prefix (moto's server on 127.0.0.1): the same
gold row traces to the same silver rows, superseded and quarantined lines as on the same lake on
disk, read through core.storage's Location."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.backup_fixtures import s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.test_trace import GOLD, HEADER, PLANT, RESENT

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


def test_a_trace_on_s3_lists_what_it_lists_on_disk(
    env: dict[str, str],
    cli: Callable[..., Any],
    home: Path,
    s3_server: dict[str, str],
    s3_url: str,
) -> None:
    on_disk = {**env, "LAKECONSOLE_PIPELINE": PLANT}
    for n, lines in enumerate(RESENT, start=1):
        (home / "data" / "landing" / f"readings_{n:04d}.csv").write_text(HEADER + lines)
        assert cli(["run"], env=on_disk).returncode == 0
    upload(home / "data", s3_location(s3_url, s3_server))
    on_s3 = {**on_disk, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}
    args = ["trace", GOLD, "day=2024-01-05", "site=north"]

    disk, s3 = (cli([*args, "--json"], env=e) for e in (on_disk, on_s3))
    assert s3.returncode == disk.returncode == 0, s3.stderr
    found, expected = (json.loads(done.stdout) for done in (s3, disk))
    found.pop("seconds"), expected.pop("seconds")
    assert found == expected
    (silver,) = found["silver"]
    assert len(silver["rows"]) == 4 and len(silver["superseded"]) == 3
    assert len(silver["quarantined"]) == 4
    # --version reads bronze and quarantine as they were then, from the bucket too.
    first = [*args, "--version", "1", "--json"]  # 0 is the empty table
    runs = [cli(first, env=e) for e in (on_disk, on_s3)]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    then_disk, then_s3 = (json.loads(r.stdout) for r in runs)
    then_disk.pop("seconds"), then_s3.pop("seconds")
    assert then_s3 == then_disk and then_s3["silver"][0]["superseded"] == []

    text = cli(args, env=on_s3)
    assert text.returncode == 0, text.stderr
    assert "superseded in bronze/readings_raw: 3 line(s)" in text.stdout
