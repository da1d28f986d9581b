"""`lakeconsole` leaves without the interpreter's teardown (cli.main.entry: ~40 ms of a daily
run), so what a normal exit does must still happen: atexit hooks, threads finished, output and
app.log written whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lakeconsole.core.settings import Settings
from tests.conftest import REPO
from tests.sales_fixtures import line, write_csv

SCRIPT = """
import atexit, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from lakeconsole.cli.main import entry

def late() -> None:
    time.sleep(1.5)  # longer than the run
    print("thread done", file=sys.stderr)

threading.Thread(target=late).start()  # still running when the command is done
ThreadPoolExecutor(1).submit(lambda: None)  # an idle pool nobody shut down
atexit.register(lambda: print("atexit ran", file=sys.stderr))
sys.argv = ["lakeconsole", "run", "--json"]
entry()
"""


def test_a_command_ends_as_a_normal_exit_would(env: dict[str, str], settings: Settings) -> None:
    write_csv(settings, "orders_1.csv", [line(f"A{i}") for i in range(2000)])
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=str(REPO), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"  # 2 KB+ of piped output, whole
    assert "thread done" in done.stderr and "atexit ran" in done.stderr
    log = Path(settings.log_file).read_text(encoding="utf-8")
    assert "succeeded: 2000 records" in log.splitlines()[-1]


def test_its_exit_code_is_the_commands(env: dict[str, str]) -> None:
    script = "import sys; from lakeconsole.cli.main import entry; "
    script += "sys.argv = ['lakeconsole', 'show', 'silver/nothing_here']; entry()"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=str(REPO), capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "nothing_here" in done.stderr
