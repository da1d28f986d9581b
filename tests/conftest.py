"""Shared fixtures: a real lake in tmp_path, settings pointing at it, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lakeconsole.core.lake import ensure_layout
from lakeconsole.core.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A project folder with its own empty lake, as setup.sh would leave it (no sample data)."""
    (tmp_path / ".env").write_text("")
    ensure_layout(tmp_path / "data")
    (tmp_path / "logs").mkdir(exist_ok=True)
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    """The environment a user's shell would have, pointed at `home`."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    out["LAKECONSOLE_HOME"] = str(home)
    out.pop("NO_COLOR", None)
    return out


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


def lakeconsole(
    args: list[str], env: dict[str, str], timeout: float = 120, **kw: object
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as cron would."""
    return subprocess.run(
        [sys.executable, "-m", "lakeconsole.cli.main", *args],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,  # type: ignore[call-overload]
    )


@pytest.fixture
def cli(env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`cli(["run"])` runs `lakeconsole run` against the fixture lake; `env=` replaces the environment."""
    return lambda args, env=env, **kw: lakeconsole(args, env, **kw)
