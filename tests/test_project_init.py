"""`lakeconsole init DIR`: a project a user runs in minutes with the installed lakeconsole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakeconsole.core.marts.readme import text_state
from lakeconsole.core.pipeline import forget_loaded, load_pipeline
from lakeconsole.core.project import project_name
from lakeconsole.core.settings import load_settings
from tests.conftest import REPO


def lakeconsole_in(folder: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The real CLI run from `folder`, with no LAKECONSOLE_* setting: the project is found
    from the working folder, as a user's shell finds it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LAKECONSOLE_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "lakeconsole.cli.main", *args],
        cwd=folder,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_import(monkeypatch: pytest.MonkeyPatch):
    """Each test's scaffolded module is imported afresh (they share module names)."""
    forget_loaded()
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.endswith("_pipeline"):
            del sys.modules[name]
    forget_loaded()


def test_init_writes_a_project_and_prints_the_next_three_commands(tmp_path: Path) -> None:
    r = lakeconsole_in(tmp_path, ["init", "Shop-2"])
    assert r.returncode == 0, r.stderr
    project = tmp_path / "Shop-2"
    for name in (".env", "shop_2_pipeline.py", "marts/orders.md", ".gitignore"):
        assert (project / name).is_file(), name
    assert r.stdout.splitlines()[-3:] == ["  cd Shop-2", "  lakeconsole run", "  lakeconsole"]
    env = (project / ".env").read_text()
    assert "LAKECONSOLE_PIPELINE=shop_2_pipeline:pipeline" in env
    assert "LAKECONSOLE_DATA_DIR=data" in env
    assert (project / ".env").stat().st_mode & 0o777 == 0o600  # it may hold credentials
    sample = list((project / "data" / "landing").glob("orders_*.csv"))
    assert len(sample) == 1 and len(sample[0].read_text().splitlines()) > 5


def test_the_scaffolded_pipeline_loads_with_its_source_rules_gold_and_mart(
    tmp_path: Path, fresh_import: None
) -> None:
    assert lakeconsole_in(tmp_path, ["init", "shop"]).returncode == 0
    settings = load_settings({"LAKECONSOLE_HOME": str(tmp_path / "shop")})
    assert settings.data_dir == tmp_path / "shop" / "data"
    loaded = load_pipeline(settings)
    assert loaded.name == "shop" and loaded.declared is not None
    tables = loaded.declared.declared
    assert list(tables) == ["bronze/orders_raw", "silver/orders", "gold/orders/daily_orders"]
    bronze, silver, gold = tables.values()
    assert bronze.source.format == "csv"  # type: ignore[attr-defined]
    assert len(silver.rules) == 2  # type: ignore[attr-defined]
    assert gold.sql and "{changed}" in gold.sql  # type: ignore[attr-defined]
    assert list(loaded.marts()) == ["orders"]
    assert list(loaded.steps) == [
        "bronze_orders_raw",
        "silver_orders",
        "gold_daily_orders",
    ]
    # The mart README template has the OPS-05 sections written: `check` has nothing to say.
    readme = (tmp_path / "shop" / "marts" / "orders.md").read_text()
    assert text_state(readme).complete


def test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    r = lakeconsole_in(tmp_path, ["init", "mine"])
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"init: {tmp_path / 'mine'} is not empty: name a new folder, or pass --force to add the "
        "missing files (no existing file is overwritten)"
    ]
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_init_force_adds_what_is_missing_and_overwrites_nothing(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / ".env").write_text("BACKUP_TARGET=/mnt/usb\n")
    r = lakeconsole_in(tmp_path, ["init", "shop", "--force"])
    assert r.returncode == 0, r.stderr
    assert (project / ".env").read_text() == "BACKUP_TARGET=/mnt/usb\n"
    assert "kept .env (it exists; not overwritten)" in r.stdout
    assert "created shop_pipeline.py" in r.stdout and (project / "shop_pipeline.py").is_file()
    again = lakeconsole_in(tmp_path, ["init", "shop", "--force"])
    assert "created" not in again.stdout and again.stdout.count("kept ") == 5


def test_init_help_shows_an_example(tmp_path: Path) -> None:
    r = lakeconsole_in(tmp_path, ["init", "--help"])
    assert r.returncode == 0 and "lakeconsole init shop" in r.stdout
    assert list(tmp_path.iterdir()) == []


def test_every_key_init_writes_is_a_documented_setting(tmp_path: Path) -> None:
    lakeconsole_in(tmp_path, ["init", "shop"])
    template = (REPO / ".env.template").read_text()
    documented = {line.split("=")[0] for line in template.splitlines() if "=" in line}
    written = {
        line.split("=")[0]
        for line in (tmp_path / "shop" / ".env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert written and written <= documented


@pytest.mark.parametrize(
    ("folder", "name"),
    [("shop", "shop"), ("My Shop-2", "my_shop_2"), ("2024", "lake_2024"), ("__", "lake")],
)
def test_the_pipeline_is_named_after_the_folder(folder: str, name: str) -> None:
    assert project_name(Path(folder)) == name


@pytest.mark.slow
def test_the_scaffolded_project_runs_end_to_end_and_a_rerun_changes_nothing(
    tmp_path: Path,
) -> None:
    from deltalake import DeltaTable

    assert lakeconsole_in(tmp_path, ["init", "shop"]).returncode == 0
    project = tmp_path / "shop"
    first = lakeconsole_in(project, ["run"])
    assert first.returncode == 0, first.stdout + first.stderr
    data = project / "data"
    silver = DeltaTable(str(data / "silver" / "orders")).to_pyarrow_table()
    rejected = DeltaTable(str(data / "quarantine" / "orders_rejected")).to_pyarrow_table()
    gold = DeltaTable(str(data / "gold" / "orders" / "daily_orders")).to_pyarrow_table()
    # 7 sample lines: 5 live in silver, 2 quarantined (no customer; a negative amount).
    assert (silver.num_rows, rejected.num_rows) == (5, 2)
    assert sorted(rejected.column("rule").to_pylist()) == ["amount_too_low", "customer_id_missing"]
    assert gold.num_rows == 3 and sum(gold.column("orders").to_pylist()) == 5
    tables = [log.parent for log in data.rglob("_delta_log")]
    versions = {t: DeltaTable(str(t)).version() for t in tables}
    second = lakeconsole_in(project, ["run"])
    assert second.returncode == 0, second.stdout + second.stderr
    assert {p: DeltaTable(str(p)).version() for p in versions} == versions
    shown = lakeconsole_in(project, ["tables"])
    assert shown.returncode == 0 and "silver/orders" in shown.stdout
