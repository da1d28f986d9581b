"""The README's test command passes on a machine without rclone (issue 13, item 12): every test
that needs rclone skips with the reason, like its siblings, instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_rclone_tests_skip_with_a_reason_without_rclone(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LAKECONSOLE_"))}
    env["PATH"] = str(tmp_path)  # a machine without rclone (nor anything else on PATH)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "0",
            "-v",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-k",
            "rclone",
            "tests/test_backup_remote.py",
            "tests/test_backup_errors.py",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-2000:]
    assert "failed" not in summary and "skipped" in summary
    assert "test_unknown_rclone_remote_names_rclone_config SKIPPED" in done.stdout
    assert "rclone is not installed" in done.stdout
