"""What a step card says of each table it writes: current version, rows, last commit.

Read from the Delta log (the add actions' row stats and the last commit's timestamp), never from
data files. A table whose newest commit is the one already known is not opened again: the
dashboard asks after every run and every few seconds, and the answer is a folder listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lakeconsole.core.explorer.history import to_commit
from lakeconsole.core.explorer.log import latest_version, read_commit
from lakeconsole.core.explorer.table import ExplorerError, explain, open_table
from lakeconsole.core.storage import LakePath, table_exists


@dataclass(frozen=True)
class TableFacts:
    """One table as a step card shows it; `version` None means it was never written."""

    name: str  # its path under the data dir, e.g. "silver/sales_orders"
    version: int | None = None
    rows: int | None = None  # None also when a file has no stats: unknown, not zero
    last_commit_ms: int | None = None
    error: str | None = None
    damaged: bool = False  # the log is damaged (`error` says how): its counts would lie

    @property
    def built(self) -> bool:
        return self.version is not None


def table_facts(data_dir: LakePath, name: str, known: TableFacts | None = None) -> TableFacts:
    """The facts of table `name` under `data_dir` (a folder, or the lake's object-store
    prefix); `known` is returned as is while the log's newest commit is still its version.
    Blocking: call off the UI thread."""
    path = data_dir / name
    if not table_exists(path):
        return TableFacts(name)
    try:
        newest = latest_version(path)
        if known is not None and known.error is None and known.version == newest:
            return known
        return _read(path, name)
    except ExplorerError as exc:
        return TableFacts(name, error=str(exc))
    except Exception as exc:  # delta-rs raises many kinds; each becomes one line
        return TableFacts(name, error=str(explain(exc, path)))


def tables_facts(
    data_dir: LakePath, names: Iterable[str], known: Mapping[str, TableFacts] | None = None
) -> dict[str, TableFacts]:
    """`table_facts` of every table named, by name."""
    known = known or {}
    return {name: table_facts(data_dir, name, known.get(name)) for name in dict.fromkeys(names)}


def _read(path: LakePath, name: str) -> TableFacts:
    from lakeconsole.core.lake import add_actions, live_rows
    from lakeconsole.core.table_health import log_damage

    # delta-rs reads an emptied commit as an empty one: the card would say "0 rows" of a table
    # whose rows are all there. The log's own check first (the commits since the checkpoint).
    found = log_damage(path, name)
    if found:
        return TableFacts(name, error=found[0].message.split(" is damaged: ", 1)[-1], damaged=True)
    dt = open_table(path)
    version = dt.version()
    rows = live_rows(dt, add_actions(dt))
    last = to_commit(read_commit(path, version))
    return TableFacts(name, version, rows, last.timestamp_ms)
