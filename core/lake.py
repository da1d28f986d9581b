"""The lake's folder layout under the data dir."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, overload

from lakeconsole.core.storage import Location, as_location

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

LAYER_FOLDERS = ("landing", "bronze", "silver", "gold", "quarantine")


class NoLake(Exception):
    """A command that only reads was pointed at a folder that does not exist."""

    def __init__(self, data_dir: Path | Location) -> None:
        if isinstance(data_dir, Location):  # a prefix cannot be filled from here yet
            hint = "nothing under that prefix: check LAKECONSOLE_DATA_DIR or --data-dir"
        else:
            hint = "run `lakeconsole demo` or check --data-dir"
        super().__init__(f"no lake at {data_dir} ({hint})")
        self.data_dir = data_dir


def require_lake(data_dir: Path) -> None:
    """Raise NoLake unless the data dir exists; creates nothing (a typo must not become a lake)."""
    if not data_dir.is_dir():
        raise NoLake(data_dir)


def ensure_layout(data_dir: Path) -> list[Path]:
    """Create the empty lake folders (and the engine's state folder); returns them."""
    folders = [data_dir / name for name in LAYER_FOLDERS] + [data_dir / "_lakeconsole"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


@overload
def landing_dir(data_dir: Path) -> Path: ...
@overload
def landing_dir(data_dir: Path | Location) -> Path | Location: ...
def landing_dir(data_dir: Path | Location) -> Path | Location:
    return data_dir / "landing"


@overload
def find_tables(data_dir: Path) -> list[Path]: ...
@overload
def find_tables(data_dir: Location) -> list[Location]: ...
def find_tables(data_dir: Path | Location) -> list[Path] | list[Location]:
    """Every Delta table under the data dir (a folder with a `_delta_log`), sorted; Paths for a
    local Path, Locations for a Location. A table's own folders are not walked: its partitions
    can hold thousands of files, and no table lives inside another."""
    found: list[Location] = []
    stack = [as_location(data_dir)]
    while stack:
        here = stack.pop()
        folders = here.child_folders()
        if any(f.name == "_delta_log" for f in folders):
            found.append(here)
        else:
            stack += folders
    if isinstance(data_dir, Path):
        return sorted(Path(t.uri) for t in found)
    return sorted(found)


def add_actions(dt: DeltaTable) -> pa.Table:
    """The live files of a table's current version (path, size_bytes, stats...), flattened.

    Read through the Arrow stream: `pa.table()` on delta-rs's arro3 table first asks whether
    it is a pandas frame, and that imports pandas (0.3 s on every run that checks its tables)."""
    import pyarrow as pa

    return pa.RecordBatchReader.from_stream(dt.get_add_actions(flatten=True)).read_all()


def live_rows(dt: DeltaTable, actions: pa.Table) -> int | None:
    """Rows a reader sees in the open version: the files' stats, less the rows their deletion
    vectors hide (Spark and Databricks delete that way; the stats still count those rows).
    None when a live file has no row count in its stats."""
    import pyarrow.compute as pc

    if not actions.num_rows:
        return 0
    if "num_records" not in actions.column_names or actions["num_records"].null_count:
        return None
    rows = int(pc.sum(actions["num_records"]).as_py() or 0)
    return rows - _hidden_by_deletion_vectors(dt)


def _hidden_by_deletion_vectors(dt: DeltaTable) -> int:
    """Rows masked by deletion vectors; reads only the vectors, and only on tables that can
    have them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "deletionVectors" not in (dt.protocol().reader_features or []):
        return 0
    vectors = pa.RecordBatchReader.from_stream(dt.deletion_vectors()).read_all()
    if not vectors.num_rows:
        return 0
    # A selection vector marks each row it covers True (kept) or False (deleted).
    kept = pc.list_flatten(vectors["selection_vector"])
    return int(pc.sum(pc.invert(kept)).as_py() or 0)
