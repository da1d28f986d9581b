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
    from core.sales.demo import write_demo

    ensure_cache()
    folder = CACHE / f"landing-{rows}-{files}-{seed}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    write_demo(folder, rows=rows, files=files, seed=seed)
    (folder / ".complete").write_text("")
    return folder


def increment_file(folder: Path, after_rows: int, rows: int = 100_000, seed: int = 7) -> Path:
    """One more landing file of `rows` new order lines that continue after the first `after_rows`.

    The orders carry on where the lake's data stops (new order ids, later dates), as the next
    day's file would; write_demo with another prefix would instead restart the order numbering
    and re-send every key into every month."""
    import numpy as np
    import pyarrow.csv as pcsv

    from core.sales.demo import _malform, _order_lines

    rng = np.random.default_rng([seed, 10_000])
    lines = _order_lines(rng, seed, after_rows, after_rows + rows, after_rows)
    lines, _ = _malform(rng, lines)
    path = folder / "increment_0001.csv"
    tmp = folder / ".increment.tmp"
    pcsv.write_csv(lines, tmp, write_options=pcsv.WriteOptions(quoting_style="needed"))
    tmp.replace(path)
    return path
