"""Shared fixtures: a real lake in tmp_path, settings pointing at it, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.core.lake import ensure_layout
from lakeconsole.core.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
# The console remembers theme and auto-run in the user's config folder: never the real one here.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="lakeconsole-test-config-")


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
    out["XDG_CONFIG_HOME"] = str(home / "user-config")  # this test's own remembered choices
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


# ---------------------------------------------------------------------------------------------
# The shipped pipelines, for the area tests that must hold for every pipeline (issue 14).

SHIPPED = {
    "sales": "lakeconsole.pipelines.sales:pipeline",
    "events": "lakeconsole.pipelines.events:pipeline",
}
# Columns that differ between two lakes fed the same files (times and run ids).
VOLATILE = frozenset({"_ingested_at", "_run_id", "detected_at"})


@dataclass
class Shipped:
    """One shipped pipeline on the fixture's lake: its declaration, the environment that names
    it, and what a test compares between two lakes."""

    name: str
    env: dict[str, str]
    settings: Settings

    @property
    def declared(self) -> Any:
        from lakeconsole.core.pipeline import load_pipeline

        return load_pipeline(self.settings).declared

    def write_demo(self, **kw: Any) -> list[Any]:
        """The pipeline's own demo files in landing (`rows=`, `files=`, `seed=`, `after=`...)."""
        import importlib

        module, _, attr = self.declared.demo.partition(":")
        demo = getattr(importlib.import_module(module), attr)
        return list(demo(self.settings.data_dir / "landing", **kw))

    def rows(self, name: str, drop: frozenset[str] = VOLATILE) -> list[dict[str, Any]]:
        """A table's rows, sorted, without the columns that name a time or a run."""
        import pyarrow as pa
        from deltalake import DeltaTable, QueryBuilder

        path = self.settings.data_dir / name
        if not (path / "_delta_log").is_dir():
            return []
        data = pa.table(
            QueryBuilder().register("t", DeltaTable(str(path))).execute("SELECT * FROM t")
        )
        data = data.select([c for c in data.column_names if c not in drop])
        return sorted(data.to_pylist(), key=lambda r: [str(r[k]) for k in sorted(r)])

    def versions(self) -> dict[str, int]:
        """The current version of every declared table that exists."""
        from deltalake import DeltaTable

        out = {}
        for name in self.declared.specs():
            path = self.settings.data_dir / name
            if (path / "_delta_log").is_dir():
                out[name] = DeltaTable(str(path)).version()
        return out

    def elsewhere(self, home: Path) -> Shipped:
        """The same pipeline on another, empty project folder (a clean lake to compare with)."""
        ensure_layout(home / "data")
        (home / "logs").mkdir(exist_ok=True)
        env = {**self.env, "LAKECONSOLE_HOME": str(home)}
        return Shipped(self.name, env, load_settings(env))

    def take_lake(self, data_dir: Path) -> None:
        """Make this lake a copy of another's (file times kept: vacuum's retention reads them)."""
        import shutil

        shutil.rmtree(self.settings.data_dir)
        shutil.copytree(data_dir, self.settings.data_dir, symlinks=True)

    def snapshot(self) -> dict[str, Any]:
        """Every declared table's content (bronze by its row count)."""
        return {
            name: len(self.rows(name)) if spec.layer == "bronze" else self.rows(name)
            for name, spec in self.declared.specs().items()
        }


@pytest.fixture(
    params=[
        "sales",
        "events",
    ]
)
def shipped(request: pytest.FixtureRequest, env: dict[str, str]) -> Shipped:
    """Each shipped pipeline in turn on the fixture's empty lake (LAKECONSOLE_PIPELINE set)."""
    named = {**env, "LAKECONSOLE_PIPELINE": SHIPPED[request.param]}
    return Shipped(request.param, named, load_settings(named))


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times (snapshots, time axes, run lists) as in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
