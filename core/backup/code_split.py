"""OPS-07's code/data split: data, logs and `.env` must never be tracked by git.

Gold mart READMEs are documentation and are meant to be versioned (see `.gitignore`)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

from core.settings import Settings

ALLOWED = ("*/gold/*/README.md",)


def tracked_data(settings: Settings) -> list[str]:
    """Lake, log and `.env` paths that git tracks (empty when not a git checkout)."""
    git = shutil.which("git", path=settings.raw.get("PATH"))
    if git is None or not (settings.home / ".git").exists():
        return []
    paths = [".env"]
    for folder in (settings.data_dir, settings.log_dir):
        try:
            paths.append(str(Path(folder).resolve().relative_to(settings.home.resolve())))
        except ValueError:
            continue  # outside the checkout: git cannot track it
    try:
        out = subprocess.run(
            [git, "-C", str(settings.home), "ls-files", "-z", "--", *paths],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    tracked = [p for p in out.split("\0") if p]
    return [p for p in tracked if not any(fnmatch.fnmatch("/" + p, "*" + a) for a in ALLOWED)]
