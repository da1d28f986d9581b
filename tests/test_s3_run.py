"""`lakeconsole run` on a lake under s3://bucket/prefix (moto's server on 127.0.0.1): the same
tables as the same landing files give on disk, a re-run that commits nothing, the run's state in
the bucket, and one run at a time across processes through the lease."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.exit_codes import REFUSED
from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.core.storage import open_delta, table_exists
from lakeconsole.pipelines.sales.demo import write_demo
from tests.backup_fixtures import s3_server
from tests.conftest import VOLATILE, lakeconsole
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.sales_tables import TABLES

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


def tables(settings: Settings) -> dict[str, Any]:
    """What a user compares between two lakes: each table's rows (bronze by count) and, per
    version, its operation and userMetadata (the schema version the commit carries)."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    out: dict[str, Any] = {}
    for name, spec in TABLES.items():
        where = spec.path(settings.lake_root)
        if not table_exists(where):
            continue
        dt = open_delta(where)
        data = pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t"))
        data = data.select([c for c in data.column_names if c not in VOLATILE])
        rows = sorted(data.to_pylist(), key=lambda r: [str(r[k]) for k in sorted(r)])
        history = [
            (h["version"], h["operation"], h.get("userMetadata")) for h in reversed(dt.history())
        ]
        out[name] = {"rows": len(rows) if spec.layer == "bronze" else rows, "history": history}
    return out


def versions(settings: Settings) -> dict[str, int]:
    return {
        name: open_delta(spec.path(settings.lake_root)).version()
        for name, spec in TABLES.items()
        if table_exists(spec.path(settings.lake_root))
    }


@pytest.fixture
def on_s3(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str
) -> dict[str, str]:
    """The environment of an S3 lake whose landing prefix holds the demo files, which the
    local lake of `env` holds too (`home/data/landing`)."""
    (home / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    write_demo(home / "data" / "landing", rows=3000, files=3, seed=21)
    upload(home / "data" / "landing", s3_location(s3_url, s3_server) / "landing")
    return {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}


def test_a_run_on_s3_gives_the_tables_the_same_run_gives_on_disk(
    env: dict[str, str], on_s3: dict[str, str], home: Path
) -> None:
    on_disk = lakeconsole(["run"], env)
    assert on_disk.returncode == 0, on_disk.stderr
    local_files = sorted(p.relative_to(home) for p in (home / "data").rglob("*"))

    ran = lakeconsole(["run"], on_s3)

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == on_disk.stdout.splitlines()[-1]
    assert "Processed 3027 records" in ran.stdout  # 3000 lines and the 27 re-sent ones
    s3, disk = load_settings(on_s3), load_settings(env)
    assert tables(s3) == tables(disk)
    assert set(tables(s3)) >= {"bronze/sales_orders_raw", "silver/sales_orders"}
    # Nothing of the S3 run landed on the local disk (the local lake is as its own run left it).
    assert sorted(p.relative_to(home) for p in (home / "data").rglob("*")) == local_files
    assert not list(home.rglob("s3*")) and not Path("/dev/null/lake-is-on-object-storage").exists()


def test_the_rerun_on_s3_commits_nothing_and_its_state_is_in_the_bucket(
    on_s3: dict[str, str], s3_server: dict[str, str], s3_url: str
) -> None:
    assert lakeconsole(["run"], on_s3).returncode == 0
    settings = load_settings(on_s3)
    before = versions(settings)

    rerun = lakeconsole(["run", "--json"], on_s3)

    assert rerun.returncode == 0, rerun.stderr
    assert versions(settings) == before
    record = json.loads(rerun.stdout)
    assert record["status"] == "succeeded" and record["records_processed"] == 0
    state = s3_location(s3_url, s3_server) / "_lakeconsole"
    assert sorted(f.name for f in (state / "sales").files()) == [
        "daily_revenue.pending.json",
        "sales_orders.watermark.json",
        "sales_orders_raw.ledger.json",
    ]
    assert len((state / "runs").files()) == 2
    assert not (state / "lease.json").exists(), "the lease is released at the end"


def test_a_new_landing_object_is_ingested_by_the_next_run(
    on_s3: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    assert lakeconsole(["run"], on_s3).returncode == 0
    more = write_demo(tmp_path, rows=500, files=1, seed=21, after=3000, prefix="next")
    upload(tmp_path, s3_location(s3_url, s3_server) / "landing")

    ran = lakeconsole(["run"], on_s3)

    assert ran.returncode == 0, ran.stderr
    assert f"Processed {more[0].rows} records" in ran.stdout


HOLDER = """
import sys
from lakeconsole.core.lock import lake_lock
from lakeconsole.core.settings import load_settings
with lake_lock(load_settings(), "lakeconsole run", "r-holder"):
    print("held", flush=True)
    sys.stdin.read()
"""


def hold_the_lake(env: dict[str, str]) -> subprocess.Popen[str]:
    """Another process that holds the lake's lock as a run does, until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_from_another_process_is_refused_naming_the_holder(
    on_s3: dict[str, str],
) -> None:
    holder = hold_the_lake(on_s3)
    try:
        refused = lakeconsole(["run"], on_s3)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    assert refused.returncode == REFUSED
    assert refused.stderr.startswith(
        f"✗ Pipeline Failed: A run is already going on this lake: process {holder.pid} on "
        f"{socket.gethostname()} (lakeconsole run, run r-holder, since"
    )
    assert refused.stdout == ""
    assert lakeconsole(["run"], on_s3).returncode == 0, "the lease is free once its holder ends"


def test_the_lease_of_a_killed_run_on_this_machine_is_taken_over_at_once(
    on_s3: dict[str, str],
) -> None:
    holder = hold_the_lake(on_s3)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)

    ran = lakeconsole(["run"], on_s3)

    assert ran.returncode == 0, ran.stderr


@pytest.mark.parametrize(
    "fault",
    [
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        {"LAKECONSOLE_DATA_DIR": "s3://no-such-bucket/lake"},
    ],
    ids=["unreachable", "missing-bucket"],
)
def test_a_run_on_a_lake_it_cannot_reach_is_one_line_and_exit_2(
    on_s3: dict[str, str], home: Path, fault: dict[str, str]
) -> None:
    out = lakeconsole(["run"], {**on_s3, **fault})

    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert out.stderr.startswith(("cannot reach http://127.0.0.1:9", "bucket 'no-such-bucket'"))
    assert not (home / "data" / "bronze").exists() or not any((home / "data" / "bronze").iterdir())


@pytest.mark.slow
@pytest.mark.parametrize(
    "point",
    [
        "bronze.mid_write:2",  # half-way through appending the second landing object
        "bronze.after_commit:2",  # bronze committed, the ledger in the bucket not yet replaced
        "silver.after_quarantine:2",  # second batch: quarantine committed, silver not
        "silver.after_merge:1",  # silver committed, the watermark not yet written
        "gold.after_commit",  # gold committed, its pending dates not yet cleared
    ],
)
def test_a_run_on_s3_killed_at_any_moment_then_rerun_equals_a_clean_run(
    env: dict[str, str], on_s3: dict[str, str], point: str
) -> None:
    assert lakeconsole(["run"], env).returncode == 0  # the clean run, on disk
    killed = lakeconsole(["run"], {**on_s3, "LAKECONSOLE_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    rerun = lakeconsole(["run"], on_s3)  # at once: the dead run's lease is taken over

    assert rerun.returncode == 0, rerun.stderr
    s3 = load_settings(on_s3)
    assert tables(s3) == tables(load_settings(env))
    held = versions(s3)
    assert lakeconsole(["run"], on_s3).returncode == 0
    assert versions(s3) == held


def test_a_landing_object_rewritten_while_it_is_fetched_is_left_for_the_next_run(
    on_s3: dict[str, str], s3_server: dict[str, str], s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeconsole.core.faults import at_point
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline

    for key, value in on_s3.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(on_s3)
    target = s3_location(s3_url, s3_server) / "landing" / "orders_0002.csv"
    original = target.read_bytes()
    header, *lines = original.decode().splitlines(keepends=True)
    shorter = (header + "".join(lines[:100])).encode()
    rewrites: list[bool] = []

    def rewrite_once() -> None:
        if len(rewrites) == 1:  # the second object fetched: orders_0002.csv
            target.write_bytes(shorter)
        rewrites.append(True)

    with at_point("bronze.after_fetch", rewrite_once):
        first = run_pipeline(load_pipeline(settings), settings)

    assert (
        "landing file orders_0002.csv changed while it was read: left for the next run"
        in first.warnings
    )
    second = run_pipeline(load_pipeline(settings), settings)
    assert second.warnings == [] or all("quarantined" in w for w in second.warnings)
    assert second.records_processed == 100  # the rewritten object's rows, none of the old ones


def test_demo_writes_the_same_landing_files_into_the_bucket_as_on_disk(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str
) -> None:
    on_s3 = {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}
    args = ["demo", "--rows", "800", "--files", "2"]
    assert lakeconsole(args, env).returncode == 0

    out = lakeconsole(args, on_s3)

    assert out.returncode == 0, out.stderr
    assert f"wrote {s3_url}/landing/orders_0001.csv: " in out.stdout
    landing = s3_location(s3_url, s3_server) / "landing"
    local = home / "data" / "landing"
    assert sorted(f.name for f in landing.files()) == sorted(p.name for p in local.iterdir())
    assert all((landing / p.name).read_bytes() == p.read_bytes() for p in local.iterdir())
    again = lakeconsole([*args, "--if-empty"], on_s3)
    assert again.stdout.strip() == f"demo: the lake in {s3_url} already has data; no sample written"


def test_the_landing_poll_interval_is_a_setting_with_a_30_s_default(
    env: dict[str, str],
) -> None:
    from lakeconsole.core.settings import SettingsError

    assert load_settings(env).landing_poll_seconds == 30
    assert load_settings({**env, "LANDING_POLL_SECONDS": "5"}).landing_poll_seconds == 5
    with pytest.raises(SettingsError, match="Setting LANDING_POLL_SECONDS: 0 is below 1"):
        load_settings({**env, "LANDING_POLL_SECONDS": "0"})


def test_a_run_whose_lease_is_taken_meanwhile_stops_and_says_why(
    on_s3: dict[str, str], s3_server: dict[str, str], s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from lakeconsole.core import lease
    from lakeconsole.core.events import RunStatus
    from lakeconsole.core.faults import at_point
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline

    monkeypatch.setattr(lease, "DEFAULT_TTL_S", 0.9)  # renewed every 0.3 s
    settings = load_settings(on_s3)
    where = s3_location(s3_url, s3_server) / lease.LEASE_FILE
    other = lease.LeaseRecord("host-b", 4242, "lakeconsole run", "r-b", 0.0, time.time() + 600)

    def taken_by_another_machine() -> None:
        where.write_bytes(json.dumps(lease.asdict(other)).encode())
        time.sleep(1)  # the next renewal finds it

    with at_point("bronze.before_read", taken_by_another_machine):
        outcome = run_pipeline(load_pipeline(settings), settings)

    assert outcome.status == RunStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith(
        f"stopped: the lake's lease at {where} was taken by another process (this run could "
        "not renew it in time)"
    )
    assert outcome.results == {}, "bronze stopped at its next file, silver and gold never ran"
    assert json.loads(where.read_bytes())["run_id"] == "r-b", "the other holder's lease stays"


def test_a_custom_step_merges_into_its_s3_table_and_a_rerun_commits_nothing(
    on_s3: dict[str, str],
) -> None:
    from lakeconsole.core.blocks.custom import run_custom
    from tests.test_custom_step import BATCH, _ctx, _declare, _step, _visits

    settings = load_settings(on_s3)
    shop = _declare(lambda ctx: ctx.merge("silver/visits", _visits(BATCH)))
    first = run_custom(_ctx(settings), _step(shop))
    where = settings.lake / "silver" / "visits"
    version = open_delta(where).version()

    again = run_custom(_ctx(settings), _step(shop))

    assert (first.records_out, again.records_out) == (3, 0)
    assert open_delta(where).version() == version
    assert [json.loads(h["userMetadata"]) for h in open_delta(where).history()] == [
        {"version": "1.0.0"}
    ] * (version + 1)


def test_runs_lists_the_run_records_in_the_bucket_and_shows_one(on_s3: dict[str, str]) -> None:
    assert lakeconsole(["run"], on_s3).returncode == 0
    assert lakeconsole(["run"], on_s3).returncode == 0

    listed = lakeconsole(["runs", "--json"], on_s3)

    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [(r["status"], r["records_processed"]) for r in records] == [
        ("succeeded", 0),
        ("succeeded", 3027),
    ]
    one = lakeconsole(["runs", records[1]["run_id"]], on_s3)
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith(f"run {records[1]['run_id']}: succeeded\n")


def test_a_run_on_s3_refuses_a_table_whose_live_file_left_the_bucket_in_one_line(
    on_s3: dict[str, str], s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> None:
    """The damage check before each step ran on local lakes only: on S3 silver merged into a
    table whose live file was gone (or failed on delta-rs's raw text when it had to read it)."""
    assert lakeconsole(["run"], on_s3).returncode == 0
    settings = load_settings(on_s3)
    silver = TABLES["silver/sales_orders"].path(settings.lake_root)
    gone = open_delta(silver).file_uris()[0]
    s3_location(gone, s3_server).delete()
    before = versions(settings)
    write_demo(tmp_path, rows=300, files=1, seed=21, after=3000, prefix="next")
    upload(tmp_path, s3_location(s3_url, s3_server) / "landing")

    ran = lakeconsole(["run"], on_s3)

    assert ran.returncode == 1, ran.stdout
    assert "live file(s) of silver/sales_orders are missing" in ran.stderr, ran.stderr
    assert "lakeconsole repair silver/sales_orders" in ran.stderr
    after = versions(settings)
    assert after["silver/sales_orders"] == before["silver/sales_orders"]
    assert after["gold/sales/daily_revenue"] == before["gold/sales/daily_revenue"]
