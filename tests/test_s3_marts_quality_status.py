"""`marts`, `status`, `quality` and `alerts` on a lake under s3://bucket/prefix (moto's server on
127.0.0.1) give the answers they give on disk after the same run on the same landing files; the
quality ledger and the incidents are kept in the bucket, the mart README in the project folder
(documentation, versioned with the code: OPS-05, OPS-07)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.storage import S3Location
from lakeconsole.pipelines.sales.demo import write_demo
from tests.backup_fixtures import s3_server
from tests.conftest import lakeconsole
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url, upload
from tests.test_alerts import Receiver

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name

Lakes = tuple[dict[str, str], dict[str, str]]


@pytest.fixture
def lakes(
    env: dict[str, str], home: Path, s3_server: dict[str, str], s3_url: str, tmp_path: Path
) -> Lakes:
    """(environment of a lake on disk, of a lake in the bucket) in one project, their landing
    holding the same demo files, each run once. The disk lake is `home/disk`, so that the
    project's `data/gold/` holds only what the bucket lake put there (its mart READMEs)."""
    (home / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    landing = tmp_path / "landing-files"
    write_demo(landing, rows=3000, files=3, seed=21)
    shutil.copytree(landing, home / "disk" / "landing")
    upload(landing, s3_location(s3_url, s3_server) / "landing")
    on_disk = {**env, "LAKECONSOLE_DATA_DIR": str(home / "disk")}
    on_s3 = {**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url}
    for lake in (on_disk, on_s3):
        ran = lakeconsole(["run"], lake)
        assert ran.returncode == 0, ran.stderr
    return on_disk, on_s3


def both(lakes: Lakes, *args: str, code: int = 0) -> tuple[str, str]:
    """The command's stdout on the disk lake and on the bucket lake, each exiting `code`."""
    outs = []
    for lake in lakes:
        out = lakeconsole(list(args), lake)
        assert out.returncode == code, out.stderr
        outs.append(out.stdout)
    return outs[0], outs[1]


def bucket(lakes: Lakes, s3_server: dict[str, str]) -> S3Location:
    return s3_location(lakes[1]["LAKECONSOLE_DATA_DIR"], s3_server)


def test_quality_after_a_run_on_s3_is_what_the_same_run_records_on_disk(
    lakes: Lakes, home: Path, s3_server: dict[str, str]
) -> None:
    disk, s3 = (json.loads(out) for out in both(lakes, "quality", "--json"))
    assert s3 == disk
    assert s3["tables"] == ["silver/sales_orders"] and s3["rules"], "the run rejected lines"
    assert both(lakes, "quality")[1] == both(lakes, "quality")[0]
    # The ledger is in the bucket's state folder, not on the local disk.
    assert (bucket(lakes, s3_server) / "_lakeconsole" / "quality.jsonl").exists()
    assert not list(home.glob("data/**/quality.jsonl"))
    rule = s3["rules"][0]["rule"]
    page = [
        json.loads(out)
        for out in both(lakes, "quality", "silver/sales_orders", "--rule", rule, "--json")
    ]
    assert page[1]["matching"] == page[0]["matching"] == s3["rules"][0]["rejected"][-1]


def test_a_second_run_on_s3_adds_its_quality_line_without_losing_the_first(
    lakes: Lakes, s3_server: dict[str, str], tmp_path: Path
) -> None:
    more = tmp_path / "more"
    write_demo(more, rows=500, files=1, seed=21, after=3000, prefix="next")
    upload(more, bucket(lakes, s3_server) / "landing")

    assert lakeconsole(["run"], lakes[1]).returncode == 0

    ledger = (bucket(lakes, s3_server) / "_lakeconsole" / "quality.jsonl").read_text()
    records = [json.loads(line) for line in ledger.splitlines()]
    assert len(records) == 2 and len({r["run_id"] for r in records}) == 2
    got = json.loads(lakeconsole(["quality", "--json"], lakes[1]).stdout)
    assert [len(r["checked"]) for r in got["rules"]] == [2] * len(got["rules"])


def marts_answer(out: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in m.items() if k not in ("path", "readme_path")} for m in json.loads(out)
    ]


def test_marts_on_s3_lists_the_bucket_tables_with_the_readme_kept_in_the_project(
    lakes: Lakes, home: Path, s3_server: dict[str, str]
) -> None:
    disk, s3 = both(lakes, "marts", "--json")
    assert marts_answer(s3) == marts_answer(disk)
    (mart,) = json.loads(s3)
    assert mart["name"] == "sales" and mart["tables"] == ["daily_revenue"]
    assert mart["path"] == f"{lakes[1]['LAKECONSOLE_DATA_DIR']}/gold/sales"
    readme = home / "data" / "gold" / "sales" / "README.md"
    assert mart["readme_path"] == str(readme)
    # The run wrote it from the pipeline's template, with the column dictionary it writes on disk.
    assert readme.read_text() == (home / "disk" / "gold" / "sales" / "README.md").read_text()
    assert "`order_date`" in readme.read_text()
    assert not (bucket(lakes, s3_server) / "gold" / "sales" / "README.md").exists()
    text_disk, text_s3 = both(lakes, "marts")
    assert text_s3 == text_disk


def test_marts_new_and_refresh_on_s3_write_the_project_readme(
    lakes: Lakes, home: Path, s3_server: dict[str, str]
) -> None:
    readme = home / "data" / "gold" / "sales" / "README.md"
    readme.write_text(readme.read_text().replace("`order_date`", "`ordered`"))
    assert lakeconsole(["check"], lakes[1]).stdout.count("column dictionary does not match") == 1

    refreshed = lakeconsole(["marts", "refresh", "sales"], lakes[1])
    created = lakeconsole(["marts", "new", "finance"], lakes[1])

    assert refreshed.stdout.strip() == f"sales: column dictionary updated ({readme})"
    assert "`order_date`" in readme.read_text()
    assert created.returncode == 0, created.stderr
    assert (home / "data" / "gold" / "finance" / "README.md").is_file()
    names = [m["name"] for m in json.loads(lakeconsole(["marts", "--json"], lakes[1]).stdout)]
    assert names == ["finance", "sales"]
    assert not (bucket(lakes, s3_server) / "gold" / "finance").exists()


def freshness_answer(out: str) -> dict[str, Any]:
    """What `status --json` says of each mart and step, without the clock times."""
    found = json.loads(out)
    keep = ("mart", "step", "state", "refresh_rate", "tables", "steps", "marts", "last_error")
    return {
        "ok": found["ok"],
        "marts": [{k: m[k] for k in keep if k in m} for m in found["marts"]],
        "steps": [{k: s[k] for k in keep if k in s} for s in found["steps"]],
        "refreshed": [m["last_success"] is not None for m in found["marts"]],
        "problems": found["problems"],
    }


def test_status_on_s3_judges_the_marts_and_steps_as_on_disk(lakes: Lakes) -> None:
    disk, s3 = both(lakes, "status", "--json")
    assert freshness_answer(s3) == freshness_answer(disk)
    said = freshness_answer(s3)
    assert said["marts"][0]["mart"] == "sales" and said["marts"][0]["state"] == "fresh"
    assert said["refreshed"] == [True] and said["problems"] == []
    assert {s["state"] for s in said["steps"]} == {"fresh"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_alerts_test_and_check_on_s3_send_what_the_disk_lake_sends_once(
    lakes: Lakes, receiver: Receiver, s3_server: dict[str, str]
) -> None:
    hooked = tuple({**lake, "ALERT_WEBHOOK_URL": receiver.url} for lake in lakes)
    tested = [json.loads(o) for o in both(hooked, "alerts", "test", "--json")]
    assert tested[1] == tested[0] and [d["problem"] for d in tested[1]] == [None]
    assert [b["state"] for b in receiver.bodies] == ["test", "test"]
    assert receiver.bodies[1]["lake"] == lakes[1]["LAKECONSOLE_DATA_DIR"]

    first = [json.loads(o) for o in both(hooked, "alerts", "check", "--json")]
    again = [json.loads(o) for o in both(hooked, "alerts", "check", "--json")]
    listed = [json.loads(o) for o in both(hooked, "alerts", "--json")]

    assert first[1] == first[0] and first[1], "the overdue backup is an incident on both"
    assert again == [[], []], "each incident alerts once"
    assert [[i["incident"] for i in lake["open"]] for lake in listed] == [
        [d["incident"] for d in first[0]]
    ] * 2
    assert (bucket(lakes, s3_server) / "_lakeconsole" / "alerts.json").exists()


def test_a_readme_copied_up_with_the_lake_is_named_with_where_it_belongs(
    lakes: Lakes, home: Path, s3_server: dict[str, str]
) -> None:
    readme = home / "data" / "gold" / "sales" / "README.md"
    in_bucket = bucket(lakes, s3_server) / "gold" / "sales" / "README.md"
    in_bucket.write_bytes(readme.read_bytes())  # as `aws s3 sync data s3://…` leaves it
    readme.unlink()

    found = json.loads(lakeconsole(["check", "--json"], lakes[1]).stdout)["findings"]

    (said,) = [f["message"] for f in found if f["subject"] == "gold/sales"]
    assert said == (
        f"no README.md at {readme}, where the READMEs of a lake in a bucket are kept (versioned "
        f"with the code, OPS-07); the bucket holds one at {in_bucket}: copy it there (aws s3 cp "
        f"{in_bucket} {readme})"
    )


def bad_prices(folder: Path) -> None:
    """One landing file of 300 lines, every fifth price not a number: 20% against the sales
    pipeline's fail_above of 10% for price_not_a_number."""
    import csv

    write_demo(folder, rows=300, files=1, seed=5, prefix="badprices")
    (path,) = folder.glob("badprices_*.csv")
    with path.open(newline="") as fh:
        lines = list(csv.DictReader(fh))
    for n, line in enumerate(lines):
        line["price"] = "n/a" if n % 5 == 0 else line["price"]
    with path.open("w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(lines[0]))
        out.writeheader()
        out.writerows(lines)


def test_a_run_on_s3_stopped_by_a_quality_threshold_alerts_once_as_on_disk(
    env: dict[str, str],
    home: Path,
    s3_server: dict[str, str],
    s3_url: str,
    tmp_path: Path,
    receiver: Receiver,
) -> None:
    bad_prices(tmp_path / "bad")
    shutil.copytree(tmp_path / "bad", home / "disk" / "landing")
    upload(tmp_path / "bad", s3_location(s3_url, s3_server) / "landing")
    hooked = (
        {**env, "LAKECONSOLE_DATA_DIR": str(home / "disk"), "ALERT_WEBHOOK_URL": receiver.url},
        {
            **env,
            **s3_env(s3_server),
            "LAKECONSOLE_DATA_DIR": s3_url,
            "ALERT_WEBHOOK_URL": receiver.url,
        },
    )

    for lake in hooked:
        first = lakeconsole(["run"], lake)
        again = lakeconsole(["run"], lake)
        assert first.returncode == again.returncode == 1, first.stderr
        assert "price_not_a_number" in first.stdout + first.stderr

    said = [
        (b["lake"], b["state"], b["kind"]) for b in receiver.bodies if b["kind"] != "backup_overdue"
    ]
    assert [s for s in said if s[2] == "quality_threshold"] == [
        (str(home / "disk"), "open", "quality_threshold"),
        (s3_url, "open", "quality_threshold"),
    ], "one alert per lake, none for the second failing run"
    disk, s3 = (json.loads(lakeconsole(["quality", "--json"], lake).stdout) for lake in hooked)
    assert s3 == disk
    (price,) = [r for r in s3["rules"] if r["rule"] == "price_not_a_number"]
    assert price["breached"] == "fail" and len(price["checked"]) == 2


def test_check_on_s3_finds_the_pipeline_state_ahead_of_a_restored_gold_as_on_disk(
    lakes: Lakes,
) -> None:
    both(lakes, "restore-version", "gold/sales/daily_revenue", "0", "--yes")

    disk, s3 = (json.loads(out) for out in both(lakes, "check", "--json", code=1))

    state = [f for f in s3["findings"] if f["code"] == "OPS-01"]
    assert state == [f for f in disk["findings"] if f["code"] == "OPS-01"]
    assert [f["subject"] for f in state] == ["gold/sales/daily_revenue"]
    assert "the pipeline's state is ahead of the table" in state[0]["message"]
    assert "not_checked" not in s3


def test_for_a_lake_in_a_bucket_git_may_track_the_project_readmes_and_nothing_else_of_data(
    home: Path, env: dict[str, str]
) -> None:
    from lakeconsole.core.governance import tracked_files
    from lakeconsole.core.settings import load_settings

    settings = load_settings({**env, "LAKECONSOLE_DATA_DIR": "s3://bucket/lake"})
    tracked = ["data/gold/sales/README.md", "data/bronze/orders/part-0.parquet", "app.py"]

    found = tracked_files(settings, tracked)

    assert found["data"] == ["data/bronze/orders/part-0.parquet"]


def test_quality_records_written_at_once_to_the_bucket_all_land(
    env: dict[str, str], s3_server: dict[str, str], s3_url: str
) -> None:
    """Two silver steps of one run may end together: each record is added with a conditional
    put, so none overwrites another."""
    from concurrent.futures import ThreadPoolExecutor

    from lakeconsole.core.quality import QualityRecord, lake_quality, record_quality
    from lakeconsole.core.settings import load_settings

    settings = load_settings({**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url})

    def record(n: int) -> None:
        record_quality(settings, QualityRecord("run-1", float(n), f"silver/t{n}", "q", 100))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(record, range(12)))

    assert sorted(r.table for r in lake_quality(settings)) == sorted(
        f"silver/t{n}" for n in range(12)
    )
