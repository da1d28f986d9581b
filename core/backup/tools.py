"""Finding and calling the external copy tools (rclone, aws) with argument lists, cancellably."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakeconsole.core.backup.model import BackupCancelled, TargetError

INSTALL_HINT = {
    "rclone": "install rclone (https://rclone.org/install/, or `apt install rclone`)",
    "aws": "install the AWS CLI (`pip install awscli` into the venv, or your OS package)",
}


def find_tool(name: str, env: dict[str, str]) -> str:
    """Path of `name` on the PATH in `env`, else beside the running Python (the venv's bin).

    Raises TargetError naming how to install it when neither has it."""
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise TargetError(
        f"Backup needs `{name}`, which is not installed: {INSTALL_HINT.get(name, name)}"
    )


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: str
    stderr: str


def call_tool(
    argv: Sequence[str],
    env: dict[str, str],
    cancel_event: threading.Event | None = None,
    timeout_s: float | None = None,
    on_stderr_line: Callable[[str], None] | None = None,
    on_stdout_line: Callable[[str], None] | None = None,
) -> ToolResult:
    """Run a tool (argument list, no shell), stopping it when `cancel_event` is set.

    Output is read line by line so progress (rclone's stats) reaches the callbacks."""
    proc = subprocess.Popen(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    out_parts: list[str] = []
    err_lines: list[str] = []

    def read_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out_parts.append(line)
            if on_stdout_line is not None:
                on_stdout_line(line.rstrip("\n"))

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if on_stderr_line is not None:
                on_stderr_line(line.rstrip("\n"))

    readers = [
        threading.Thread(target=read_out, daemon=True),
        threading.Thread(target=read_err, daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while proc.poll() is None:
        if cancel_event is not None and cancel_event.is_set():
            _stop(proc)
            raise BackupCancelled()
        if deadline is not None and time.monotonic() > deadline:
            _stop(proc)
            raise TargetError(
                f"`{Path(argv[0]).name}` did not answer within {timeout_s:.0f} s; "
                "check that the target is reachable"
            )
        time.sleep(0.05)
    for reader in readers:
        reader.join(timeout=5)
    return ToolResult(proc.returncode, "".join(out_parts), "".join(err_lines))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
