"""Landing data for the benchmark: the demo generator's files, cached by size and seed."""

from __future__ import annotations

import shutil
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def ensure_cache() -> Path:
    """The cache folder, which keeps itself out of git (it holds gigabytes)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    return CACHE


def landing_files(rows: int, files: int, seed: int = 7) -> Path:
    """A folder of `files` demo CSV files with `rows` order lines, written once and reused."""
    from lakeconsole.pipelines.sales.demo import write_demo

    ensure_cache()
    folder = CACHE / f"landing-{rows}-{files}-{seed}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    write_demo(folder, rows=rows, files=files, seed=seed)
    (folder / ".complete").write_text("")
    return folder


def increment_file(folder: Path, after_rows: int, rows: int = 100_000, seed: int = 7) -> Path:
    """One more landing file of `rows` new order lines that continue after the first
    `after_rows` (`lakeconsole demo --after`): new order ids and later dates, as the next day's
    file would be."""
    from lakeconsole.pipelines.sales.demo import write_demo

    [written] = write_demo(
        folder, rows=rows, files=1, seed=seed, prefix="increment", after=after_rows
    )
    return written.path
