"""`lakeconsole COMMAND` imports only that command's module to parse its arguments (all 21 took
15-25 ms of every command); every other way in still sees every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lakeconsole.cli.main import main, named_command
from tests.conftest import REPO


def test_a_named_command_is_parsed_with_its_module_alone() -> None:
    probe = (
        "import sys; from lakeconsole.cli.main import build_parser, named_command; "
        "build_parser(named_command(['--data-dir', 'run', 'restore-version', 'x', '3'])); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('lakeconsole.cli.') "
        "and m.rsplit('.', 1)[1] in ('run', 'restore_version', 'backup', 'status'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["lakeconsole.cli.restore_version"]


@pytest.mark.parametrize("argv", [["rnu"], ["output"], ["main"], ["--help"], [], ["../x"]])
def test_anything_else_is_parsed_against_every_command(argv: list[str]) -> None:
    assert named_command(argv) is None


def test_a_typo_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rnu"])
    err = capsys.readouterr().err
    assert "invalid choice: 'rnu'" in err and "restore-version" in err and "vacuum" in err


def test_a_commands_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["restore-version", "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("usage: lakeconsole restore-version")
