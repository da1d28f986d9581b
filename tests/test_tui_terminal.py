"""`lakeconsole` in a real terminal (tmux): it opens, runs, fails to load clearly, and quits
during a run with the run cancelled and exit code 0."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeconsole.core.events import RunStatus
from lakeconsole.core.runs import load_runs
from lakeconsole.core.settings import load_settings
from tests.conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"),
]


class Terminal:
    """An 80×24 tmux session running one command, on a private tmux server."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.socket = f"lakeconsole-test-{uuid.uuid4().hex[:8]}"

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, cwd=REPO,
                             capture_output=True, text=True, timeout=10, check=True)  # fmt: skip
        return out.stdout

    def start(self, command: str) -> None:
        # The pane stays after the command so its exit code can be read.
        shell = f"{command}; echo EXIT=$?; sleep 60"
        self.tmux("new-session", "-d", "-s", "main", "-x", "80", "-y", "24", "-c", str(REPO), shell)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "main")

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "main", *keys)

    def wait_for(self, *texts: str) -> str:
        """The screen once all `texts` are on it (the limit only stops a broken test hanging).
        The terminal is painted in pieces, so one text does not mean the rest is there yet."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{texts!r} never appeared; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(env)
    yield term
    term.close()


CONSOLE = f"{shlex.quote(sys.executable)} -m cli.main"


def test_the_console_opens_runs_the_pipeline_and_quits(
    terminal: Terminal, env: dict[str, str], home: Path
) -> None:
    env["LAKECONSOLE_PIPELINE"] = "tests.pipelines:good"
    terminal.start(CONSOLE)
    terminal.wait_for("q Quit", "Bronze", "○ ingest", "○ aggregate")
    terminal.press("r")
    terminal.wait_for("✓ Pipeline Finished: Processed 3 records")
    terminal.press("q")
    terminal.wait_for("EXIT=0")


def test_the_sales_pipeline_runs_from_the_keyboard_on_demo_data(
    terminal: Terminal, env: dict[str, str], home: Path, cli
) -> None:
    assert cli(["demo", "--rows", "2000", "--files", "2"]).returncode == 0
    terminal.start(CONSOLE)
    terminal.wait_for("q Quit", "bronze_ingest", "gold_daily_revenue")
    terminal.press("r")
    screen = terminal.wait_for("✓ Pipeline Finished")
    terminal.press("q")
    terminal.wait_for("EXIT=0")
    run = load_runs(load_settings(env).state_dir)[0]
    assert run.status == RunStatus.SUCCEEDED.value
    assert f"✓ Pipeline Finished: Processed {run.records_processed} records" in screen


def test_quitting_during_a_run_cancels_it_and_exits_cleanly(
    terminal: Terminal, env: dict[str, str], home: Path
) -> None:
    env["LAKECONSOLE_PIPELINE"] = "tests.pipelines:blocking_bronze"
    settings = load_settings(env)
    terminal.start(CONSOLE)
    terminal.wait_for("q Quit")
    terminal.press("r")
    for _ in range(600):
        if (settings.data_dir / "step-started").exists():
            break
        time.sleep(0.05)
    terminal.press("q")
    terminal.wait_for("EXIT=0")
    assert load_runs(settings.state_dir)[0].status == RunStatus.CANCELLED.value
    assert not (settings.data_dir / "bronze/orders/_delta_log").exists()


def test_a_pipeline_that_does_not_load_is_explained_in_the_console(
    terminal: Terminal, env: dict[str, str], home: Path
) -> None:
    env["LAKECONSOLE_PIPELINE"] = "no_such_module:steps"
    terminal.start(CONSOLE)
    terminal.wait_for("Cannot load the pipeline", "LAKECONSOLE_PIPELINE", "q Quit")
    terminal.press("q")
    terminal.wait_for("EXIT=0")
