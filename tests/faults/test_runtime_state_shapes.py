"""Issue 13 item 8: run records and the maintenance ledger of the wrong shape are skipped, named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

WRONG_RUNS = {
    "a-list.json": [],
    "no-fields.json": {"run_id": "x"},
    "text-start.json": {"run_id": "t", "pid": 1, "command": "c", "started_at": "yesterday"},
    "steps-not-objects.json": {
        "run_id": "s",
        "pid": 1,
        "command": "c",
        "started_at": 1.0,
        "steps": [["bronze", 1]],
    },
    "text-latency.json": {
        "run_id": "l",
        "pid": 1,
        "command": "c",
        "started_at": 1.0,
        "status": "succeeded",
        "latency_s": "fast",
    },
    "bad-status.json": {"run_id": "b", "pid": 1, "command": "c", "started_at": 1.0, "status": 7},
    "torn.json": '{"run_id": "20261130T',
}

WRONG_LEDGER_LINES = [
    "[1, 2]",
    '{"action": "vacuum", "table": "bronze/orders", "at": "last week"}',
    '{"action": "optimize", "table": "silver/orders", "at": 1, "files_after": "many"}',
    '{"action": 5, "table": "x", "at": 1}',
    '"just text"',
]


@pytest.fixture
def good(env: dict[str, str]) -> dict[str, str]:
    return {**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"}


def damage_runs(home: Path) -> Path:
    runs = home / "data/_lakeconsole/runs"
    runs.mkdir(parents=True, exist_ok=True)
    for name, data in WRONG_RUNS.items():
        text = data if isinstance(data, str) else json.dumps(data)
        (runs / f"20990101T000000-{name}").write_text(text)
    return runs


def damage_ledger(home: Path) -> Path:
    ledger = home / "data/_lakeconsole/maintenance.jsonl"
    ledger.write_text("\n".join(WRONG_LEDGER_LINES) + "\n")
    return ledger


def test_runs_lists_the_good_runs_and_names_each_wrong_record(cli, good, home: Path) -> None:
    assert cli(["run"], env=good).returncode == 0
    runs = damage_runs(home)
    r = cli(["runs"], env=good)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "succeeded" in r.stdout
    warnings = r.stderr.strip().splitlines()
    assert len(warnings) == len(WRONG_RUNS)
    for name in WRONG_RUNS:
        path = runs / f"20990101T000000-{name}"
        assert any(
            line.startswith(f"warning: skipped {path}: not a run record (") for line in warnings
        ), name
    listed = json.loads(cli(["runs", "--json"], env=good).stdout)
    assert [r["status"] for r in listed] == ["succeeded"]


def test_a_run_goes_on_beside_wrong_run_records(cli, good, home: Path) -> None:
    damage_runs(home)
    r = cli(["run", "--json"], env=good)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "succeeded"


def test_maintain_works_with_a_wrong_ledger_and_wrong_run_records(cli, good, home: Path) -> None:
    assert cli(["run"], env=good).returncode == 0
    runs, ledger = damage_runs(home), damage_ledger(home)
    r = cli(["maintain", "--dry-run", "--skip-backup"], env=good)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("✓ Maintenance Finished:")
    # A wrong ledger line counts as missing: the table is due as if never vacuumed.
    for n in range(1, len(WRONG_LEDGER_LINES) + 1):
        assert f"warning: skipped line {n} of {ledger}: not a maintenance record (" in r.stderr
    assert f"warning: skipped {runs}/20990101T000000-a-list.json: not a run record" in r.stderr


@pytest.mark.parametrize(
    "status",
    [
        {"last_backup": [1]},
        {"last_backup": {"at": "x"}, "last_verify": "ok", "last_error": {"at": "y"}},
        [1, 2],
    ],
    ids=["record-is-a-list", "text-times", "file-is-a-list"],
)
def test_maintain_reads_a_wrong_backup_status_as_missing(cli, good, home: Path, status) -> None:
    path = home / "data/_lakeconsole/backup/status.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(status))
    r = cli(["maintain", "--dry-run"], env=good)
    # As with no backup at all: due, and no BACKUP_TARGET is set.
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        "✗ Maintenance Failed: backup due but BACKUP_TARGET is not set: set it in .env, "
        "or use --skip-backup (OPS-07)"
    )
    assert f"in {path}: not a backup record (" in r.stderr
    assert "Traceback" not in r.stderr and "AttributeError" not in r.stderr


def test_the_dashboard_upkeep_names_the_damaged_state_files(settings, home: Path) -> None:
    from lakeconsole.core.upkeep import upkeep_status

    damage_runs(home)
    ledger = damage_ledger(home)
    items = {i.name: i for i in upkeep_status(settings)}
    state = items["state files"]
    assert state.overdue
    runs = home / "data/_lakeconsole/runs"
    assert state.detail.startswith(
        f"{len(WRONG_RUNS)} in {runs} and {len(WRONG_LEDGER_LINES)} in {ledger} not of the right shape"
    )
    assert all("could not check" not in i.detail for i in items.values())
