"""OPS-08: setup.sh bootstraps a fresh copy of the repo, and running it again is safe and quick."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def scratch_copy(dest: Path) -> Path:
    """The files git tracks (and would be in a fresh clone), as they are in the working tree."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        src = REPO / name
        if src.is_symlink():  # lakeconsole/core → ../core: the package's view of the folders
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).symlink_to(src.readlink())
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.mark.slow
def test_setup_twice_in_a_scratch_copy(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    # A laptop's shell: its own Python, nothing of ours on PATH.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": sys._base_executable}
    first = subprocess.run(
        ["./setup.sh"], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created .env from .env.template" in first.stdout
    assert "Next: .venv/bin/lakeconsole" in first.stdout
    for folder in ("landing", "bronze", "silver", "gold", "quarantine", "_lakeconsole"):
        assert (repo / "data" / folder).is_dir(), folder
    assert (repo / "logs").is_dir()
    assert stat.S_IMODE((repo / ".env").stat().st_mode) == 0o600
    assert any((repo / "data/landing").glob("*.csv")), "no sample landing data"
    # Byte-compiled, so that commands do not compile the package each time (issue 18).
    tag = sys.implementation.cache_tag
    for module in ("core/runner", "core/blocks/silver", "cli/main", "pipelines/sales/__init__"):
        folder, _, stem = module.rpartition("/")
        assert (repo / folder / "__pycache__" / f"{stem}.{tag}.pyc").is_file(), module

    (repo / ".env").write_text("BACKUP_KEEP=3\n")  # the user's own edit
    second = subprocess.run(
        ["./setup.sh"], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "packages already installed" in second.stdout
    assert ".env kept as it is" in second.stdout
    assert (repo / ".env").read_text() == "BACKUP_KEEP=3\n"

    r = subprocess.run(
        [".venv/bin/lakeconsole", "--help"], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "run the pipeline" in r.stdout


def test_setup_names_what_to_install_without_a_python(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    r = subprocess.run(
        ["/bin/bash", "./setup.sh"],
        cwd=repo,
        env={"PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert "needs Python 3.11 or newer" in r.stderr and "PYTHON=" in r.stderr


def _pins(lock: Path) -> set[str]:
    return {line.strip() for line in lock.read_text().splitlines() if "==" in line}


def test_the_plain_lock_pins_what_the_dev_lock_pins() -> None:
    """The dev set is the plain set plus the dev tools, at the same versions: switching between
    `./setup.sh` and `./setup.sh --dev` never downgrades a package (pip's dependency ERROR)."""
    differ = _pins(REPO / "requirements.lock") - _pins(REPO / "requirements-dev.lock")
    assert differ == set(), f"pinned differently in requirements.lock: {sorted(differ)}"


def _fake_venv(repo: Path) -> Path:
    """A .venv whose pip only writes down what it was asked to install (no network, seconds)."""
    log = repo / "pip.log"
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(
        "#!/bin/bash\n"
        f'if [ "$1" = -m ] && [ "$2" = pip ]; then echo "${{@:3}}" >> {log}; exit 0; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    return log


def test_switching_between_setup_and_setup_dev_reinstalls_nothing(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    log = _fake_venv(repo)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": sys.executable}

    def setup(*args: str) -> str:
        done = subprocess.run(
            ["./setup.sh", "--no-sample", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ERROR" not in done.stdout + done.stderr
        return done.stdout

    assert "installing pinned packages from requirements-dev.lock" in setup("--dev")
    installs = log.read_text()
    # After --dev, a plain set-up is already satisfied (the dev set includes it), and back.
    assert "packages already installed" in setup()
    assert "packages already installed" in setup("--dev")
    assert log.read_text() == installs

    # Plain first, then --dev: only the dev lock is added on top; plain again needs nothing.
    for stamp in (repo / ".venv").glob(".installed-*"):
        stamp.unlink()
    log.write_text("")
    assert "installing pinned packages from requirements.lock" in setup()
    assert "installing pinned packages from requirements-dev.lock" in setup("--dev")
    assert "packages already installed" in setup()
    requirement_files = [
        line.split("-r ")[1].split()[0] for line in log.read_text().splitlines() if "-r " in line
    ]
    assert requirement_files == ["requirements.lock", "requirements-dev.lock"]
