"""The console in a real terminal (tmux): open it, run the pipeline from the keyboard, quit."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"
)


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[tuple[Callable[[str], None], Callable[[], str], str]]:
    session = f"lc-{uuid.uuid4().hex[:8]}"
    exports = " ".join(
        f"{k}={shlex.quote(v)}" for k, v in env.items() if k in ("LAKECONSOLE_HOME", "PATH", "HOME")
    )
    command = f"cd {shlex.quote(str(REPO))} && env {exports} TERM=xterm-256color {shlex.quote(sys.executable)} -m cli.main"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )

    def keys(k: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", session, k], check=True)

    def screen() -> str:
        r = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        )
        return r.stdout

    try:
        yield keys, screen, session
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def wait_for(screen: Callable[[], str], text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")


def session_alive(session: str) -> bool:
    return (
        subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0
    )


@pytest.mark.slow
def test_run_from_the_keyboard_in_a_real_terminal_then_quit(terminal, cli) -> None:
    keys, screen, session = terminal
    assert cli(["demo", "--rows", "2000", "--files", "2"]).returncode == 0
    shown = wait_for(screen, "Bronze")
    assert "Silver" in shown and "Gold" in shown
    assert "Run" in shown and "Quit" in shown  # the footer lists the keys
    keys("r")
    shown = wait_for(screen, "✓ Pipeline Finished: Processed 2", timeout=90)
    assert "failed" not in shown.split("app.log")[0]
    keys("q")
    deadline = time.monotonic() + 10
    while session_alive(session) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not session_alive(session), "the console did not exit on q"
    runs = json.loads(cli(["runs", "--json"]).stdout)
    assert runs[0]["status"] == "succeeded"
    assert f"✓ Pipeline Finished: Processed {runs[0]['records_processed']} records" in shown
