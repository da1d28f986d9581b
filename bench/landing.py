"""Landing data for the benchmark: a shipped pipeline's demo generator's files, cached by
pipeline, size and seed."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.target import DEFAULT, target

CACHE = Path(__file__).resolve().parent / ".cache"


def ensure_cache() -> Path:
    """The cache folder, which keeps itself out of git (it holds gigabytes)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    return CACHE


def landing_files(rows: int, files: int, seed: int = 7, pipeline: str = DEFAULT) -> Path:
    """A folder of `files` demo files with `rows` rows of `pipeline`, written once and reused."""
    ensure_cache()
    # The sales folder keeps its name from before --pipeline, so its cache stays valid.
    named = "" if pipeline == DEFAULT else f"{pipeline}-"
    folder = CACHE / f"landing-{named}{rows}-{files}-{seed}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    target(pipeline).demo()(folder, rows=rows, files=files, seed=seed)
    (folder / ".complete").write_text("")
    return folder


def landing_names(folder: Path) -> list[Path]:
    """The landing files in `folder`, in name order (not the cache's hidden marker)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def increment_file(
    folder: Path,
    after_rows: int,
    rows: int = 100_000,
    seed: int = 7,
    pipeline: str = DEFAULT,
    tag: str = "",
) -> Path:
    """One more landing file of `rows` new rows that continue after the first `after_rows`
    (`lakeconsole demo --after`): new ids and later times, as the next day's file would be.
    `tag` goes after the increment prefix, so each round's file has a name of its own."""
    t = target(pipeline)
    [written] = t.demo()(
        folder, rows=rows, files=1, seed=seed, prefix=t.increment_prefix + tag, after=after_rows
    )
    return Path(written.path)
