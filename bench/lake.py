"""lakeconsole's own pipeline as the benchmark runs it: the real CLI, in a scratch project."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def scratch_home(home: Path, landing: Path, settings: Mapping[str, str] | None = None) -> Path:
    """An empty project at `home` whose landing folder holds (hard links to) `landing`'s files;
    `settings` go into its `.env` (e.g. SILVER_BATCH_ROWS, LAKECONSOLE_PIPELINE)."""
    from bench.landing import landing_names
    from lakeconsole.core.lake import ensure_layout

    shutil.rmtree(home, ignore_errors=True)
    (home / "logs").mkdir(parents=True)
    (home / ".env").write_text("".join(f"{k}={v}\n" for k, v in (settings or {}).items()))
    data = home / "data"
    ensure_layout(data)
    link_landing(landing_names(landing), data / "landing")
    return data


def link_landing(paths: list[Path], folder: Path) -> None:
    """Hard links to `paths` in `folder` (copies across file systems): every approach reads
    the same bytes without copying gigabytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            os.link(path, folder / path.name)
        except OSError:  # another file system
            shutil.copy2(path, folder / path.name)


def disk_use(data: Path) -> dict[str, int]:
    """Bytes on disk (allocated blocks, as du counts them, each inode once) under each top-level
    folder of the lake `data`; `lake` is everything but the landing files."""
    seen: set[tuple[int, int]] = set()
    out: dict[str, int] = {}
    for top in sorted(data.iterdir()) if data.is_dir() else []:
        used = 0
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            st = path.lstat()
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            used += st.st_blocks * 512
        out[top.name if top.is_dir() else "other files"] = (
            out.get(top.name if top.is_dir() else "other files", 0) + used
        )
    out["lake"] = sum(v for k, v in out.items() if k != "landing")
    return out


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a user's shell pointed at `home`, with nothing inherited that steers
    lakeconsole (a crash hook, another pipeline, another lake), nor PYTHONDONTWRITEBYTECODE."""
    from bench.measure import measured_env

    env = {k: v for k, v in measured_env().items() if not k.startswith("LAKECONSOLE_")}
    env["LAKECONSOLE_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def cli_argv(*args: str) -> list[str]:
    """`lakeconsole <args>` as this interpreter runs it."""
    return [sys.executable, "-m", "lakeconsole.cli.main", *args]


def table_versions(data: Path) -> dict[str, int]:
    """Every Delta table's latest version, from its log folder alone."""
    from lakeconsole.core.lake import find_tables

    out = {}
    for table in find_tables(data):
        commits = [int(p.name[:20]) for p in (table / "_delta_log").glob("*.json")]
        out[str(table.relative_to(data))] = max(commits, default=-1)
    return out


def new_versions(before: dict[str, int], after: dict[str, int]) -> int:
    """How many commits were added between two `table_versions` snapshots."""
    return sum(v - before.get(name, -1) for name, v in after.items())
