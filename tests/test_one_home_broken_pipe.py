"""`lakeconsole runs | head` and `history | head` stop quietly (issue 13, item 12): no
BrokenPipeError, no "Exception ignored" once the reader of the output has gone."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.runs import RunRecord, new_run_id, runs_dir
from lakeconsole.core.settings import Settings
from tests.conftest import REPO

MANY = 3000  # well over a pipe buffer (64 KiB) of output


def _piped(args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The user's shell: `lakeconsole ARGS | head -1`, with lakeconsole's own exit status."""
    script = f'{sys.executable} -m cli.main {args} | head -1; echo "exit=${{PIPESTATUS[0]}}" >&2'
    return subprocess.run(
        ["bash", "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_runs_piped_into_head_exits_quietly(settings: Settings, env: dict[str, str]) -> None:
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(MANY):
        run_id = new_run_id(1_700_000_000 + i * 60)
        record = RunRecord(run_id, 1, "lakeconsole run", 1_700_000_000 + i * 60, "succeeded")
        (folder / f"{run_id}.json").write_text(json.dumps(record.to_json()))
    done = _piped(f"runs --limit {MANY}", env)
    assert done.stdout.startswith("started")
    assert done.stderr.strip() == "exit=141", done.stderr


def test_history_piped_into_head_exits_quietly(settings: Settings, env: dict[str, str]) -> None:
    table = settings.data_dir / "silver" / "orders"
    write_deltalake(table, pa.table({"id": [1]}))
    # Commits with nothing but commitInfo: a long history without minutes of writes.
    for version in range(1, MANY):
        info = {"commitInfo": {"timestamp": 1_700_000_000_000 + version, "operation": "WRITE"}}
        (table / "_delta_log" / f"{version:020d}.json").write_text(json.dumps(info) + "\n")
    done = _piped(f"history silver/orders --limit {MANY}", env)
    assert done.stdout.startswith("silver/orders")
    assert done.stderr.strip() == "exit=141", done.stderr


def test_a_closed_pipe_has_its_own_exit_code() -> None:
    from lakeconsole.core import exit_codes

    assert exit_codes.CLOSED_PIPE == 141  # 128 + SIGPIPE, what `yes | head` reports
    assert (REPO / "README.md").read_text().count("| 141 |") == 1
