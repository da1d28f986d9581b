"""OPS-01 and OPS-09 through the real `lakeconsole run`, as cron would call it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deltalake import DeltaTable

from tests.conftest import REPO


def use(env: dict[str, str], pipeline: str) -> dict[str, str]:
    return {**env, "LAKECONSOLE_PIPELINE": f"tests.pipelines:{pipeline}"}


def start_blocking_run(env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakeconsole.cli.main", "run"],
        env=use(env, "blocking_bronze"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (home / "data/step-started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the blocking step never started"
        time.sleep(0.05)
    return proc


def test_success_prints_one_green_heartbeat_line_and_exits_0(cli, env, home) -> None:
    r = cli(["run"], env=use(env, "good"))
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last == "✓ Pipeline Finished: Processed 3 records"
    assert r.stdout.count("Pipeline Finished") == 1
    assert "\033[" not in r.stdout  # not a terminal: no colour codes
    assert r.stderr == ""


def test_heartbeat_is_green_on_a_terminal_unless_no_color(env, home) -> None:
    script = "import sys; sys.argv=['lakeconsole','run','-q']; from cli.main import main; sys.exit(main())"

    def on_tty(extra: dict[str, str]) -> str:
        import pty

        main_fd, child_fd = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-c", script],
            env={**use(env, "good"), **extra},
            cwd=REPO,
            stdout=child_fd,
            stderr=child_fd,
        )
        os.close(child_fd)
        out = b""
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=60)
        os.close(main_fd)
        return out.decode()

    assert "\033[32m✓ Pipeline Finished" in on_tty({})
    plain = on_tty({"NO_COLOR": "1"})
    assert "✓ Pipeline Finished" in plain and "\033[" not in plain


def test_silver_does_not_start_when_bronze_fails(cli, env, home) -> None:
    r = cli(["run"], env=use(env, "failing_bronze"))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        "✗ Pipeline Failed: ingest: landing file orders_bad.csv has no header row"
    )
    assert "Pipeline Finished" not in r.stdout
    # The step's whole message is shown above the one-line heartbeat.
    assert (
        "failed: landing file orders_bad.csv has no header row\n      expected: order_id, line_no"
        in r.stderr
    )
    assert "clean skipped (upstream failed: ingest)" in r.stdout
    assert "aggregate skipped (upstream failed: clean)" in r.stdout
    # No table downstream of the failure was written...
    assert not (home / "data/silver/orders").exists()
    assert not (home / "data/gold/sales/daily").exists()
    # ...and the independent bronze branch was not held back.
    assert DeltaTable(str(home / "data/bronze/fx")).version() == 0


def test_failure_leaves_earlier_tables_unchanged(cli, env, home) -> None:
    assert cli(["run"], env=use(env, "good")).returncode == 0
    silver = DeltaTable(str(home / "data/silver/orders")).version()
    assert cli(["run"], env=use(env, "failing_bronze")).returncode == 1
    assert DeltaTable(str(home / "data/silver/orders")).version() == silver


def test_json_summary_has_steps_and_latency(cli, env) -> None:
    r = cli(["run", "--json"], env=use(env, "good"))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["status"] == "succeeded"
    assert summary["records_processed"] == 3
    assert [s["name"] for s in summary["steps"]] == ["ingest", "clean", "aggregate"]
    assert all(s["state"] == "succeeded" for s in summary["steps"])
    assert summary["latency_s"] is not None and summary["latency_s"] >= 0


def test_run_history_lists_runs_with_latency(cli, env) -> None:
    cli(["run"], env=use(env, "good"))
    cli(["run"], env=use(env, "failing_bronze"))
    runs = json.loads(cli(["runs", "--json"], env=env).stdout)
    assert [r["status"] for r in runs] == ["failed", "succeeded"]
    assert runs[0]["latency_s"] is None  # gold never ran: no end-to-end latency
    assert runs[1]["latency_s"] > 0
    text = cli(["runs"], env=env).stdout
    assert "failed" in text and "succeeded" in text and "latency" in text


def test_run_history_says_what_started_each_run(cli, env, home) -> None:
    cli(["run"], env=use(env, "good"))
    # A record written before runs said what started them: its command tells.
    old = {"run_id": "20260101T000000-000000Z-1", "pid": 1, "command": "lakeconsole console"}
    (home / "data/_lakeconsole/runs/20260101T000000-000000Z-1.json").write_text(
        json.dumps(
            {**old, "started_at": 1767225600.0, "status": "succeeded", "ended_at": 1767225604.0}
        )
    )
    runs = json.loads(cli(["runs", "--json"], env=env).stdout)
    assert [r["trigger"] for r in runs] == ["cli", "console"]
    header, newest, oldest = cli(["runs"], env=env).stdout.splitlines()
    assert header.split()[:4] == ["started", "status", "trigger", "took"]
    assert newest.split()[2:4] == ["succeeded", "cli"]
    assert oldest.split()[2:5] == ["succeeded", "console", "4.0s"]


def test_one_run_shows_its_steps_on_a_timeline_and_how_to_rerun_the_failed_one(cli, env) -> None:
    cli(["run"], env=use(env, "failing_bronze"))
    (run,) = json.loads(cli(["runs", "--json"], env=env).stdout)
    r = cli(["runs", run["run_id"]], env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"run {run['run_id']}: failed"
    assert "trigger cli" in lines[1]
    steps = {line.split()[1]: line for line in lines if line[:1] and line[0] in "✓✗⊘"}
    assert steps["ingest"].startswith("✗") and "landing file orders_bad" in steps["ingest"]
    assert "upstream failed: ingest" in steps["clean"]
    assert "█" in steps["ingest_fx"] and "2 → 2 rows" in steps["ingest_fx"]
    assert all(len(line) <= 80 for line in lines)
    error = lines.index("error: ingest: landing file orders_bad.csv has no header row")
    assert lines[error + 1] == "  expected: order_id, line_no"  # the error's detail, under it
    assert lines[-1] == "re-run from the failed step: lakeconsole run --from ingest"
    missing = cli(["runs", "20990101T000000-000000Z-1"], env=env)
    assert missing.returncode == 2 and "No run '20990101T000000-000000Z-1'" in missing.stderr


def test_from_silver_is_refused_when_bronze_was_never_built(cli, env, home) -> None:
    r = cli(["run", "--from", "silver"], env=use(env, "good"))
    assert r.returncode == 2
    assert "upstream step(s) ingest have never been built" in r.stderr
    assert not (home / "data/silver/orders").exists()


def test_from_silver_runs_silver_and_gold_only(cli, env, home) -> None:
    cli(["run"], env=use(env, "good"))
    bronze = DeltaTable(str(home / "data/bronze/orders")).version()
    r = cli(["run", "--from", "silver", "--json"], env=use(env, "good"))
    assert [s["name"] for s in json.loads(r.stdout)["steps"]] == ["clean", "aggregate"]
    assert DeltaTable(str(home / "data/bronze/orders")).version() == bronze


def test_a_second_run_while_one_is_going_names_the_running_process(cli, env, home) -> None:
    first = start_blocking_run(env, home)
    try:
        r = cli(["run"], env=use(env, "good"))
        assert r.returncode == 75
        assert f"A run is already going on this lake: process {first.pid}" in r.stderr
    finally:
        (home / "data/release").touch()
        first.communicate(timeout=60)
    assert first.returncode == 0


def test_a_killed_run_shows_as_aborted_and_its_lock_is_taken_over(cli, env, home) -> None:
    victim = start_blocking_run(env, home)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    runs = json.loads(cli(["runs", "--json"], env=env).stdout)
    assert runs[0]["status"] == "aborted"
    r = cli(["run"], env=use(env, "good"))
    assert r.returncode == 0, r.stderr
    log = (home / "logs/app.log").read_text()
    assert f"took over the lock of run {runs[0]['run_id']} (process {victim.pid} is gone)" in log


def test_ctrl_c_stops_at_a_safe_point_and_records_cancelled(cli, env, home) -> None:
    proc = start_blocking_run(env, home)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "✗ Pipeline Failed: cancelled by the user" in err
    assert not (home / "data/bronze/orders").exists()
    runs = json.loads(cli(["runs", "--json"], env=env).stdout)
    assert runs[0]["status"] == "cancelled"
    assert [s["state"] for s in runs[0]["steps"]] == ["cancelled", "skipped", "skipped"]
