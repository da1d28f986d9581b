"""Finding the project: LAKECONSOLE_HOME, else the working folder's .env, else the checkout; with
none, a command that would create a lake says how to make a project instead of making ./data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakeconsole.cli.main import main
from lakeconsole.core import settings as settings_module
from lakeconsole.core.exit_codes import USAGE
from lakeconsole.core.settings import NoProject, load_settings
from tests.conftest import REPO

HOW = "make one with `lakeconsole init DIR` and cd into it, or set LAKECONSOLE_HOME"


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside any project, as an installed lakeconsole would see it: no .env,
    no LAKECONSOLE_HOME, and no source checkout behind the code."""
    for key in [k for k in os.environ if k.startswith("LAKECONSOLE_")]:
        monkeypatch.delenv(key)
    folder = tmp_path / "somewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(settings_module, "CHECKOUT", tmp_path / "site-packages" / "lakeconsole")
    return folder


@pytest.mark.parametrize("argv", [["run"], ["demo"], ["maintain"], [], ["restore"]])
def test_a_writing_command_outside_a_project_makes_no_lake_and_says_how_to_make_one(
    nowhere: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and HOW in err, err
    assert f"no lakeconsole project in {nowhere}" in err
    assert list(nowhere.iterdir()) == []  # no data/, no logs/


def test_a_reading_command_outside_a_project_says_how_to_make_one(
    nowhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tables"]) == USAGE
    assert HOW in capsys.readouterr().err
    assert list(nowhere.iterdir()) == []


def test_a_reading_command_outside_a_project_still_reads_a_lake_it_is_pointed_at(
    nowhere: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    assert main(["--data-dir", str(lake), "tables"]) == 0
    assert "No Delta tables" in capsys.readouterr().out


def test_help_version_and_init_work_outside_a_project(
    nowhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert main(["init", "shop"]) == 0
    assert (nowhere / "shop" / ".env").is_file()


def test_the_working_folder_with_a_env_is_the_project(nowhere: Path) -> None:
    (nowhere / ".env").write_text("LOG_LEVEL=DEBUG\n")
    s = load_settings(dict(os.environ))
    assert (s.home, s.in_project, s.log_level) == (nowhere, True, "DEBUG")
    assert s.data_dir == nowhere / "data"


def test_lakeconsole_home_wins_over_the_working_folder(nowhere: Path, tmp_path: Path) -> None:
    (nowhere / ".env").write_text("LOG_LEVEL=DEBUG\n")
    other = tmp_path / "other"
    other.mkdir()
    s = load_settings({**os.environ, "LAKECONSOLE_HOME": str(other)}, check_writable=False)
    assert (s.home, s.in_project, s.log_level) == (other, True, "INFO")


def test_without_a_project_settings_refuse_to_create_the_lake(nowhere: Path) -> None:
    with pytest.raises(NoProject, match="lakeconsole init DIR"):
        load_settings(dict(os.environ))
    s = load_settings(dict(os.environ), check_writable=False)
    assert (s.home, s.in_project) == (nowhere, False)
    assert list(nowhere.iterdir()) == []


def test_a_source_checkout_is_its_own_project_from_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("LAKECONSOLE_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(REPO / "docs")
    s = load_settings(dict(os.environ), check_writable=False)
    assert (s.home, s.in_project) == (REPO, True)


def test_a_checkouts_lakeconsole_run_elsewhere_finds_no_project_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newcomer ran the checkout's .venv/bin/lakeconsole from an empty folder: it ran the
    # checkout's own sales lake with no word of which project it used.
    for key in [k for k in os.environ if k.startswith("LAKECONSOLE_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoProject, match="lakeconsole init DIR"):
        load_settings(dict(os.environ))
    assert list(tmp_path.iterdir()) == []
