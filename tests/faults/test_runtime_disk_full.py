"""Issue 13 item 7: a disk that fills up during a run, with the logs on the same disk.

A real tmpfs of 8 MB holds the project (lake and logs); a filler file leaves a little room. The
run must fail with one line that says what to do, record itself as failed, leave no temporary
or half-written file, and, once space is freed, a re-run must equal a clean run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lakeconsole.core.lake import find_tables
from lakeconsole.core.leftovers import find_crash_leftovers
from lakeconsole.core.settings import load_settings
from tests.conftest import lakeconsole
from tests.faults.runtime_mounts import small_disk
from tests.sales_fixtures import snapshot

# Room left for the run: bronze's write fails in the first case, silver's in the second.
ROOM_KB = {"bronze_ingest": 150, "silver_orders": 450}
INTERNALS = ("panicked", "Traceback", "Errno", "os error", "Logging error", "DeltaError")


def project(root: Path, env: dict[str, str]) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".env").write_text("")
    env = {**env, "LAKECONSOLE_HOME": str(root)}
    r = lakeconsole(["demo", "--rows", "10000", "--files", "2"], env)
    assert r.returncode == 0, r.stderr
    return env


def fill(disk: Path, leave_kb: int) -> Path:
    filler = disk / "filler"
    free_kb = shutil.disk_usage(disk).free // 1024
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={filler}", "bs=1k", f"count={free_kb - leave_kb}"],
        check=True,
        capture_output=True,
    )
    return filler


@pytest.mark.parametrize("step", list(ROOM_KB))
def test_a_full_disk_fails_the_run_with_one_line_and_a_rerun_loses_nothing(
    tmp_path: Path, env: dict[str, str], step: str
) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        home = disk / "home"
        full_env = project(home, env)
        filler = fill(disk, ROOM_KB[step])

        r = lakeconsole(["run"], full_env)
        assert r.returncode == 1
        shown = r.stdout + r.stderr
        assert not [word for word in INTERNALS if word in shown], shown
        last = r.stderr.strip().splitlines()[-1]
        data = home / "data"
        assert re.fullmatch(
            rf"✗ Pipeline Failed: {step}: disk full at {re.escape(str(data))}: "
            r"free \d+ MiB and re-run",
            last,
        ), last
        # Recorded as failed; nothing temporary or half-written left behind.
        runs = json.loads(lakeconsole(["runs", "--json"], full_env).stdout)
        assert runs[0]["status"] == "failed"
        assert [s["state"] for s in runs[0]["steps"] if s["name"] == step] == ["failed"]
        assert not list(home.rglob("*.tmp")), "a temporary file was left"
        assert all(not find_crash_leftovers(t) for t in find_tables(data))

        filler.unlink()
        again = lakeconsole(["run"], full_env)
        assert again.returncode == 0, again.stderr
        after = snapshot(load_settings(full_env, check_writable=False))

    clean_env = project(tmp_path / "clean", env)
    assert lakeconsole(["run"], clean_env).returncode == 0
    assert after == snapshot(load_settings(clean_env, check_writable=False))


def test_a_full_log_disk_costs_one_warning_line_and_the_run_goes_on(
    tmp_path: Path, cli, env: dict[str, str], home: Path
) -> None:
    good = {**env, "LAKECONSOLE_PIPELINE": "tests.pipelines:good"}
    with small_disk(tmp_path / "logdisk", "1m") as disk:
        (disk / "app.log").write_text("x" * 4095 + "\n")  # a whole page: the next line needs one
        fill(disk, 0)
        r = cli(["run"], env={**good, "LAKECONSOLE_LOG_DIR": str(disk)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "✓ Pipeline Finished: Processed 3 records"
    assert r.stderr.strip().splitlines() == [
        f"warning: cannot write the log {disk / 'app.log'} (No space left on device); "
        "this command's log lines are dropped"
    ]
