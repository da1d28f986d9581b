"""A lake under s3://bucket/prefix (moto's server on 127.0.0.1): the read commands give what
they give on the same lake on disk; every other command refuses before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backup_fixtures import CliRunner, make_lake, s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


@pytest.fixture
def lakes(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(environment of the lake on disk, environment of the same lake copied into the bucket)."""
    make_lake(home / "data")
    upload(home / "data", s3_location(s3_url, s3_server))
    return env, {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}


def same_on_both(cli: CliRunner, lakes: tuple[dict[str, str], dict[str, str]], *args: str) -> str:
    on_disk, on_s3 = (cli(list(args), env=e) for e in lakes)
    assert on_s3.returncode == on_disk.returncode == 0, on_s3.stderr
    assert on_s3.stdout == on_disk.stdout
    return on_s3.stdout


def test_tables_lists_the_bucket_lake_as_the_disk_lake(cli: CliRunner, lakes) -> None:
    out = same_on_both(cli, lakes, "tables")
    assert "silver" in out and "orders" in out and "daily_revenue" in out


def test_tables_json_names_the_s3_paths(cli: CliRunner, lakes, s3_url: str) -> None:
    out = cli(["tables", "--json"], env=lakes[1])
    assert out.returncode == 0, out.stderr
    found = {t["name"]: t for t in json.loads(out.stdout)}
    assert set(found) == {"bronze/orders", "silver/orders", "gold/sales/daily_revenue"}
    assert found["bronze/orders"]["path"] == f"{s3_url}/bronze/orders"
    assert found["bronze/orders"]["rows"] == 6 and found["bronze/orders"]["version"] == 2


@pytest.mark.parametrize("table", ["silver/orders", "orders_missing", "daily_revenue"])
def test_history_reads_the_commits_from_the_bucket(cli: CliRunner, lakes, table: str) -> None:
    on_disk, on_s3 = (cli(["history", table, "--limit", "1"], env=e) for e in lakes)
    assert (on_s3.returncode, on_s3.stdout) == (on_disk.returncode, on_disk.stdout)
    if on_disk.returncode:  # a name the lake lacks: the same hint, naming the lake it looked in
        assert on_s3.stderr.replace(lakes[1]["LAKECONSOLE_DATA_DIR"], "LAKE") == (
            on_disk.stderr.replace(str(Path(lakes[0]["LAKECONSOLE_HOME"]) / "data"), "LAKE")
        )


@pytest.mark.parametrize(
    "args",
    [
        ["silver/orders"],
        ["silver/orders", "--version", "0"],
        ["bronze/orders", "--limit", "2", "--offset", "3"],
        ["silver/orders", "--version", "0", "--where", "qty=5"],
        ["silver/orders", "--version", "0", "--where", "region=north"],
        ["silver/orders", "--json"],
    ],
    ids=["latest", "version", "page", "where", "where-partition", "json"],
)
def test_show_pages_rows_from_the_bucket(cli: CliRunner, lakes, args: list[str]) -> None:
    out = same_on_both(cli, lakes, "show", *args) if "--json" not in args else None
    if out is None:
        on_disk, on_s3 = (json.loads(cli(["show", *args], env=e).stdout) for e in lakes)
        on_disk.pop("path"), on_s3.pop("path")
        assert on_s3 == on_disk


def test_every_command_runs_on_a_bucket_lake_and_none_is_refused(
    cli: CliRunner, lakes, s3_server: dict[str, str], s3_url: str
) -> None:
    """The last refused ones (marts, quality, status, alerts, trace and the console) work there
    since issue 16: `--help` of each is reached, not the not-yet line."""
    from lakeconsole.cli.main import command_modules

    for module in command_modules():
        out = cli([module.COMMAND, "--help"], env=lakes[1])
        assert out.returncode == 0 and "not yet on object storage" not in out.stderr, module


def test_a_missing_bucket_is_one_line_and_exit_2(
    cli: CliRunner, env: dict[str, str], s3_server: dict[str, str]
) -> None:
    bad = {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": "s3://no-such-bucket/lake"}
    out = cli(["tables"], env=bad)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"bucket 'no-such-bucket' does not exist at {s3_server['AWS_ENDPOINT_URL']}: create it "
        "(aws s3 mb s3://no-such-bucket) or fix LAKECONSOLE_DATA_DIR"
    )


def test_an_unreachable_endpoint_is_one_line_and_exit_2(
    cli: CliRunner, env: dict[str, str], s3_server: dict[str, str]
) -> None:
    down = {**env, **s3_env(s3_server), "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    out = cli(["--data-dir", "s3://lake-backup/lake", "history", "orders"], env=down)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("cannot reach http://127.0.0.1:9 for bucket 'lake-backup'")


def test_an_empty_prefix_is_no_lake(cli: CliRunner, env, s3_server, s3_url: str) -> None:
    out = cli(["tables"], env={**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url})
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"no lake at {s3_url} (nothing under that prefix: check LAKECONSOLE_DATA_DIR or --data-dir)"
    )


def test_the_secret_key_is_never_printed_or_logged(cli: CliRunner, lakes, home: Path) -> None:
    secret = lakes[1]["AWS_SECRET_ACCESS_KEY"]
    outs = [cli(a, env=lakes[1]) for a in (["tables"], ["history", "nope"], ["run"])]
    log = "".join(p.read_text() for p in (home / "logs").glob("*.log*"))
    assert all(secret not in o.stdout + o.stderr for o in outs) and secret not in log
