"""Where the engine's state files of a lake live: its `_lakeconsole` folder, on disk or in the
bucket beside the tables (a lake on S3 keeps its ledger with it, for every machine to read)."""

from __future__ import annotations

from pathlib import Path

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import Location

STATE_FOLDER = "_lakeconsole"


def lake_state(settings: Settings) -> Path | Location:
    """The state folder: `settings.state_dir` on disk, `<lake URL>/_lakeconsole` on S3."""
    return settings.lake / STATE_FOLDER if settings.on_object_storage else settings.state_dir
