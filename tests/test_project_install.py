"""lakeconsole installs as a tool: the wheel holds the `lakeconsole` package only, and the
installed copy finds its project (LAKECONSOLE_HOME, the working folder's .env) or says how to
make one, from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

# What the copy of the source tree leaves out: local state, caches, build leftovers.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "data", "logs", ".env", "build", "*.egg-info", "__pycache__", ".*_cache",
    "results", "snapshot_report.html",
)  # fmt: skip
HOW = "make one with `lakeconsole init DIR`"


def source_copy(tmp: Path) -> Path:
    """The source tree as a fresh clone has it (lakeconsole/core etc. still links), so a
    build never writes into the checkout other tests are reading."""
    src = tmp / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=NOT_SOURCE)
    return src


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    out = tmp / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."],
        cwd=source_copy(tmp),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (found,) = out.glob("lakeconsole-*.whl")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """A user's shell: no lakeconsole setting, no PYTHONPATH leading back to the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LAKECONSOLE_", "PYTEST_", "PYTHON", "VIRTUAL_ENV"))
    }
    return {**env, **extra}


def run(cmd: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_wheel_holds_only_lakeconsole_with_every_package_and_its_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n.split("/")[0] for n in names} == {
        "lakeconsole",
        f"{wheel.name.split('-py')[0]}.dist-info",
    }
    packages = [
        p.parent.relative_to(REPO).as_posix()
        for top in ("core", "cli", "tui", "pipelines")
        for p in (REPO / top).rglob("__init__.py")
    ]
    assert packages and all(f"lakeconsole/{p}/__init__.py" in names for p in packages), [
        p for p in packages if f"lakeconsole/{p}/__init__.py" not in names
    ]
    data = [
        *(REPO / "tui").rglob("*.tcss"),
        *(REPO / "core").rglob("*.md"),
        *(REPO / "pipelines").rglob("*.md"),
    ]
    missing = [p for p in data if f"lakeconsole/{p.relative_to(REPO).as_posix()}" not in names]
    assert data and missing == []


def test_the_installed_copy_makes_a_project_and_works_from_it(wheel: Path, tmp_path: Path) -> None:
    tool = tmp_path / "V"
    venv.create(tool, with_pip=True)
    # Third-party packages come from the repository's venv (no index needed); lakeconsole itself
    # only from the wheel: the .pth names site-packages, never the checkout.
    site = Path(sysconfig.get_path("purelib", vars={"base": str(tool), "platbase": str(tool)}))
    (site / "_lakeconsole_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = run([tool / "bin/pip", "install", "-q", "--no-index", "--no-deps", wheel], tmp_path)
    assert installed.returncode == 0, installed.stderr
    lakeconsole = tool / "bin" / "lakeconsole"

    # Outside any project: one line saying how to make one, and no ./data.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = run([lakeconsole, "run"], elsewhere)
    assert refused.returncode == 2 and HOW in refused.stderr, refused.stderr
    assert list(elsewhere.iterdir()) == []

    made = run([lakeconsole, "init", "P"], tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "P"
    helped = run([lakeconsole, "run", "--help"], project)
    assert helped.returncode == 0 and "usage: lakeconsole run" in helped.stdout
    tables = run([lakeconsole, "tables"], project)
    assert tables.returncode == 0, tables.stderr
    assert f"No Delta tables in {project / 'data'}" in tables.stdout

    probe = (
        "import lakeconsole.core.settings as s, lakeconsole.cli.main as m\n"
        "from lakeconsole.core.pipeline import load_pipeline\n"
        "import lakeconsole.pipelines.sales as sales\n"
        "print(s.__file__); print(m.__file__)\n"
        "print(load_pipeline(s.load_settings(check_writable=False)).name)\n"
        "print((sales.pipeline.readme_templates / 'sales.md').is_file())\n"
    )
    shown = run([tool / "bin" / "python", "-c", probe], project)
    assert shown.returncode == 0, shown.stderr
    settings_file, main_file, name, template = shown.stdout.split("\n")[:4]
    assert Path(settings_file).is_relative_to(tool) and Path(main_file).is_relative_to(tool)
    assert (name, template) == ("p", "True")  # the project's own pipeline, found from its .env


def uv() -> str | None:
    return shutil.which("uv") or next(
        (str(p) for p in [Path(sys.executable).parent / "uv"] if p.is_file()), None
    )


@pytest.mark.skipif(uv() is None, reason="uv is not installed (pip install uv to run this)")
def test_uv_tool_install_gives_a_working_lakeconsole(tmp_path: Path) -> None:
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    done = run(
        [uv() or "uv", "tool", "install", "."],
        source_copy(tmp_path),
        UV_TOOL_DIR=str(tools),
        UV_TOOL_BIN_DIR=str(bin_dir),
    )
    if done.returncode != 0 and "Failed to fetch" in done.stderr:
        pytest.skip(f"no package index reachable for uv: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    site = next((tools / "lakeconsole" / "lib").glob("python3*/site-packages"))
    assert not {"core", "cli", "tui", "pipelines"} & {p.name for p in site.iterdir()}
    lakeconsole = bin_dir / "lakeconsole"
    assert run([lakeconsole, "init", "shop"], tmp_path).returncode == 0
    tables = run([lakeconsole, "tables"], tmp_path / "shop")
    assert tables.returncode == 0 and "No Delta tables" in tables.stdout, tables.stderr
    refused = run([lakeconsole, "demo"], tmp_path)
    assert refused.returncode == 2 and HOW in refused.stderr
