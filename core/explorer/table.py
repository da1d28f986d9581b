"""Finding and opening a Delta table by lake name or path, with errors that name the fix."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, overload

from lakeconsole.core.lake import find_tables
from lakeconsole.core.storage import LakePath, Location, as_location

if TYPE_CHECKING:
    from deltalake import DeltaTable


# How delta-rs and pyarrow say a data file the log names is gone.
MISSING_FILE_SIGNS = ("no such file", "not found", "failed to fetch metadata", "object at location")

LISTED_NAMES = 12  # tables named in a "no such table" line; 'lakeconsole tables' has the rest
LISTS_THEM = "('lakeconsole tables' lists them)"


class ExplorerError(Exception):
    """A table cannot be shown or changed; the message is one line that says why and what to do."""


class TableNotFound(ExplorerError):
    """The user named a table the lake does not have (a usage error); the message lists the
    close matches and the lake's tables. `in_console` says the same without the command-line
    advice: the console lists the tables on the screen where the name was typed."""

    def __init__(self, message: str, in_console: str | None = None) -> None:
        super().__init__(message)
        self.in_console = in_console or message


class KeyNeeded(ExplorerError):
    """Comparing versions needs the columns that identify a row, and none (or no unique ones)
    are known. The message says so in neutral words: the console asks for the columns, the CLI
    adds how to give them (--key)."""


def table_name(data_dir: LakePath, path: LakePath) -> str:
    """The name a user types for a lake table (`silver/sales_orders`), else the path itself."""
    if isinstance(data_dir, Location) or isinstance(path, Location):
        return as_location(path).relative_to(as_location(data_dir)) or str(path)
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def layer_of(data_dir: LakePath, path: LakePath) -> str:
    """The lake layer of a table (first folder under the data dir); `other` outside the lake."""
    name = table_name(data_dir, path)
    if name == str(path) or "/" not in name:
        return "other"
    first = name.split("/", 1)[0]
    return "engine" if first.startswith("_") else first


def is_delta_table(path: LakePath) -> bool:
    """A folder with a `_delta_log` that holds at least one commit or checkpoint."""
    if isinstance(path, Location):
        names = (path / "_delta_log").names()
        return any(n.endswith((".json", ".checkpoint.parquet")) for n in names)
    log = path / "_delta_log"
    return log.is_dir() and any(
        p.name.endswith((".json", ".checkpoint.parquet")) for p in log.iterdir()
    )


@overload
def resolve_table(name_or_path: str, data_dir: Path) -> Path: ...
@overload
def resolve_table(name_or_path: str, data_dir: Location) -> LakePath: ...
def resolve_table(name_or_path: str, data_dir: LakePath) -> LakePath:
    """The one way a table name resolves, for every command: a lake name
    (`silver/sales_orders`, or `sales_orders` when unique), else the path of a Delta table.
    In a lake on object storage a lake name gives a Location."""
    wanted = name_or_path.strip().rstrip("/") or name_or_path
    in_lake = data_dir / wanted
    if not Path(wanted).is_absolute() and is_delta_table(in_lake):
        return _resolved(in_lake)
    given = Path(wanted).expanduser()
    if is_delta_table(given):
        return given.resolve()
    tables: list[Path] | list[Location] = find_tables(data_dir)
    if "/" not in wanted:
        matches = [t for t in tables if t.name == wanted]
        if len(matches) == 1:
            return _resolved(matches[0])
        if len(matches) > 1:
            names = ", ".join(table_name(data_dir, m) for m in matches)
            raise TableNotFound(
                f"'{name_or_path}' matches several lake tables ({names}); give one of those names"
            )
    if given.exists():
        why = f"{given} is not a Delta table (no _delta_log with commits); give a lake table name"
        raise TableNotFound(
            f"{why} (see 'lakeconsole tables') or the folder of a Delta table",
            f"{why} or the folder of a Delta table",
        )
    raise TableNotFound(
        not_found_message(name_or_path, data_dir, tables),
        not_found_message(name_or_path, data_dir, tables, advice=False),
    )


def _resolved(path: LakePath) -> LakePath:
    return path if isinstance(path, Location) else path.resolve()


@overload
def resolve_tables(data_dir: Path, name: str | None) -> list[Path]: ...
@overload
def resolve_tables(data_dir: Location, name: str | None) -> list[Location]: ...
def resolve_tables(data_dir: LakePath, name: str | None) -> list[Path] | list[Location]:
    """`None` or `all` → every lake table; otherwise the one table `resolve_table` finds."""
    if isinstance(data_dir, Location):
        if name in (None, "", "all"):
            return find_tables(data_dir)
        return [as_location(resolve_table(str(name), data_dir))]
    if name in (None, "", "all"):
        return find_tables(data_dir)
    return [resolve_table(str(name), data_dir)]


def not_found_message(
    name: str, data_dir: LakePath, tables: list[Path] | list[Location], advice: bool = True
) -> str:
    """No such table: the close matches first, then the lake's tables (or how to fill it);
    with `advice`, the commands that list and fill them."""
    names = [table_name(data_dir, t) for t in tables]
    lists_them = f" {LISTS_THEM}" if advice else ""
    if name.startswith(("/", "~", ".")):
        return (
            f"No table '{name}' in the lake ({data_dir}) and no such path; give the folder of "
            f"a Delta table, or a lake table name{lists_them}"
        )
    if not names:
        fill = "fill it with 'lakeconsole run'; 'lakeconsole tables' lists them" if advice else ""
        return f"No table '{name}' in the lake at {data_dir}: it has no tables yet" + (
            f" ({fill})" if fill else " (run the pipeline to fill it)"
        )
    leaf = name.rstrip("/").rsplit("/", 1)[-1]
    by_leaf = {n.rsplit("/", 1)[-1]: n for n in names}
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    close += [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=3, cutoff=0.6)]
    guess = list(dict.fromkeys(close))[:3]
    hint = f" Did you mean {' or '.join(guess)}?" if guess else ""
    listed = ", ".join(names[:LISTED_NAMES]) + (" …" if len(names) > LISTED_NAMES else "")
    return f"No table '{name}' in the lake at {data_dir}.{hint} Tables: {listed}{lists_them}"


def open_table(path: LakePath, version: int | None = None) -> DeltaTable:
    """Open a Delta table (at a version); delta-rs failures become one-line ExplorerErrors."""
    from deltalake import DeltaTable

    where = as_location(path)
    try:
        return DeltaTable(where.uri, version=version, storage_options=where.storage_options)
    except Exception as exc:
        raise explain(exc, path, version) from None


def explain(exc: Exception, path: LakePath, version: int | None = None) -> ExplorerError:
    """Turn a delta-rs exception into a one-line message naming the fix."""
    from deltalake.exceptions import DeltaProtocolError, TableNotFoundError

    text = " ".join(str(exc).split())
    if isinstance(exc, ExplorerError):
        return exc
    if damaged := _damage(path):
        return ExplorerError(damaged)
    if isinstance(exc, TableNotFoundError):
        return ExplorerError(
            f"{path} is not a Delta table ({text[:120]}); give the folder of a Delta table"
        )
    lowered = text.lower()
    if isinstance(exc, DeltaProtocolError) or "feature" in lowered or "protocol" in lowered:
        return ExplorerError(
            f"{path} uses a Delta protocol feature delta-rs cannot read ({text[:160]}); "
            "read it with the engine that wrote it (e.g. Spark) or upgrade deltalake"
        )
    if any(sign in lowered for sign in MISSING_FILE_SIGNS):
        which = f"version {version} of {path}" if version is not None else f"a version of {path}"
        return ExplorerError(
            f"Cannot read {which}: its data files were removed (by a VACUUM); only versions "
            "within the retention period can be read"
        )
    if version is not None and ("version" in lowered or "log segment" in lowered):
        latest = latest_version_or_none(path)
        known = f"the latest is {latest}" if latest is not None else "see 'lakeconsole history'"
        return ExplorerError(
            f"Version {version} of {path} does not exist or its log was cleaned up ({known}); "
            "pick a version listed by 'lakeconsole history'"
        )
    return ExplorerError(f"Cannot read {path}: {text[:200]}")


def latest_version_or_none(path: LakePath) -> int | None:
    """The newest commit number from the log folder's listing, without replaying the log."""
    from lakeconsole.core.explorer.log import latest_version

    try:
        return latest_version(path)
    except ExplorerError:
        return None


def _damage(path: LakePath) -> str | None:
    """The table's damage (core.table_health), said with its fix, when that is why it failed."""
    from lakeconsole.core.storage import StorageError
    from lakeconsole.core.table_health import table_damage

    try:
        found = table_damage(path) if (as_location(path) / "_delta_log").is_folder() else []
    except (OSError, StorageError):
        return None
    damaged = [d for d in found if d.kind != "unreadable"]  # explain() knows those better
    return damaged[0].message if damaged else None
