"""Settings: one object from .env and the environment; a bad value stops with the key and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakeconsole.core.settings import SettingsError, load_settings


def test_defaults_follow_the_runbook(settings) -> None:
    assert settings.vacuum_retention_hours == 168
    assert settings.log_retention_days == 14
    assert settings.data_dir == settings.home / "data"


def test_env_file_is_read_and_the_environment_wins(env, home: Path) -> None:
    (home / ".env").write_text("VACUUM_RETENTION_HOURS=200\nBACKUP_KEEP=3\n")
    s = load_settings({**env, "BACKUP_KEEP": "5"})
    assert (s.vacuum_retention_hours, s.backup_keep) == (200, 5)


def test_a_bad_number_stops_the_cli_with_one_line_and_exit_2(cli, env) -> None:
    r = cli(["runs"], env={**env, "VACUUM_RETENTION_HOURS": "abc"})
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "Setting VACUUM_RETENTION_HOURS: 'abc' is not a whole number. Set it to a number such as 168 in .env"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_data_dir_that_cannot_be_written_names_the_key(cli, env, home: Path) -> None:
    locked = home / "readonly"
    locked.mkdir(mode=0o500)
    r = cli(["run"], env={**env, "LAKECONSOLE_DATA_DIR": str(locked / "lake")})
    assert r.returncode == 2
    assert "Setting LAKECONSOLE_DATA_DIR:" in r.stderr and "cannot be written" in r.stderr


def test_a_data_dir_under_a_file_names_the_key(env, home: Path) -> None:
    (home / "afile").write_text("x")
    with pytest.raises(SettingsError, match=r"LAKECONSOLE_DATA_DIR: .* cannot be written"):
        load_settings({**env, "LAKECONSOLE_DATA_DIR": str(home / "afile" / "lake")})


def test_data_dir_option_works_before_and_after_the_subcommand(cli, env, home: Path) -> None:
    other = home / "other-lake"
    demo = ["demo", "--rows", "10", "--files", "1"]
    for args in (["--data-dir", str(other), *demo], [*demo, "--data-dir", str(other)]):
        r = cli(args, env=env)
        assert r.returncode == 0, r.stderr
    assert (other / "landing").is_dir()


def test_data_dir_from_environment(env, home: Path) -> None:
    s = load_settings({**env, "LAKECONSOLE_DATA_DIR": "elsewhere"})
    assert s.data_dir == home / "elsewhere"


def test_every_setting_is_documented_in_the_template() -> None:
    from lakeconsole.core.settings import Settings

    template = (Path(__file__).resolve().parents[1] / ".env.template").read_text()
    keys = {
        line.split("=")[0]
        for line in template.splitlines()
        if "=" in line and not line.startswith("#")
    }
    # field name -> key, where they differ
    special = {
        "data_dir": "LAKECONSOLE_DATA_DIR",
        "lake_url": "LAKECONSOLE_DATA_DIR",  # when it is an s3:// URL
        "log_dir": "LAKECONSOLE_LOG_DIR",
        "pipeline": "LAKECONSOLE_PIPELINE",
        "spark_remote": "LAKECONSOLE_SPARK_REMOTE",
        "spark_steps": "LAKECONSOLE_SPARK_STEPS",
    }
    for name in Settings.__dataclass_fields__:
        if name in ("home", "in_project", "raw"):  # found, not set
            continue
        assert special.get(name, name.upper()) in keys, f"{name} is not in .env.template"


def test_help_lists_every_subcommand_with_one_line(cli, env) -> None:
    r = cli(["--help"], env=env)
    assert r.returncode == 0
    from lakeconsole.cli.main import command_modules

    for mod in command_modules():
        assert mod.COMMAND in r.stdout
        sub = cli([mod.COMMAND, "--help"], env=env)
        assert sub.returncode == 0 and "usage: lakeconsole " + mod.COMMAND in sub.stdout
