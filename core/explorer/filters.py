"""Find things (`/` in the console): which tables, commits and rows a filter text keeps.

The console and the CLI share these: the faces only render what is kept. Text matches ignore
case; a version's rows are filtered by pyarrow over the Delta version itself, so a page and its
count are of the matching rows of the whole version, not of the page on screen."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeconsole.core.explorer.table import ExplorerError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from lakeconsole.core.explorer.catalog import TableSummary
    from lakeconsole.core.explorer.history import Commit
    from lakeconsole.core.storage import LakePath

# A history filter searches the whole log, newest first, keeping this many matches to show (it
# counts them all). Measured: 10,000 commit files searched in 1.6 s here.
FOUND_COMMITS = 500
ROW_FILTER_HELP = "column=value (equal) or column~text (contains, any case), e.g. channel=web"


def contains(needle: str, *haystacks: str | None) -> bool:
    """`needle` in any of `haystacks`, ignoring case; an empty needle keeps everything."""
    wanted = needle.strip().casefold()
    return not wanted or any(wanted in (h or "").casefold() for h in haystacks)


def matching_tables(tables: Sequence[TableSummary], text: str) -> list[TableSummary]:
    """The tables whose name (e.g. `silver/sales_orders`) contains `text`."""
    return [t for t in tables if contains(text, t.name)]


def commit_matches(commit: Commit, text: str) -> bool:
    """A number is a version (`12` finds version 12 only); other text is looked for in the
    row as the history shows it: operation, time, parameters, counts, schema version."""
    wanted = text.strip()
    if wanted.isdigit():
        return commit.version == int(wanted)
    return contains(
        wanted,
        commit.operation,
        commit.local_time,
        commit.key_parameters(),
        commit.metrics_line(),
        commit.schema_version,
        commit.user_metadata,
    )


def matching_commits(commits: Iterable[Commit], text: str) -> list[Commit]:
    return [c for c in commits if commit_matches(c, text)]


@dataclass(frozen=True)
class CommitSearch:
    """The commits of a whole log that a history filter keeps, newest first (at most `limit`
    of them), how many match in all, and how many commits the log has."""

    text: str
    commits: list[Commit]
    matched: int
    in_log: int

    @property
    def all_shown(self) -> bool:
        return len(self.commits) == self.matched


def find_commits(
    path: LakePath,
    text: str,
    limit: int = FOUND_COMMITS,
    stop: Callable[[], bool] = lambda: False,
) -> CommitSearch:
    """Every commit of the log that `text` keeps (see `commit_matches`). Reads each commit
    file once, newest first; `stop` is asked between files (a newer search replaced this one)."""
    from lakeconsole.core.explorer.history import to_commit
    from lakeconsole.core.explorer.log import commit_versions, read_commit

    versions = commit_versions(path)
    found: list[Commit] = []
    matched = 0
    wanted = text.strip()
    in_log = len(versions)
    if wanted.isdigit():  # one version: no need to read the others
        versions = [v for v in versions if v == int(wanted)]
    for version in reversed(versions):
        if stop():
            break
        commit = to_commit(read_commit(path, version))
        if commit_matches(commit, wanted):
            matched += 1
            if len(found) < limit:
                found.append(commit)
    return CommitSearch(wanted, found, matched, in_log)


@dataclass(frozen=True)
class RowFilter:
    """`column=value` (equal, the value read as the column's type) or `column~text`."""

    column: str
    op: str  # "=" or "~"
    value: str

    def __str__(self) -> str:
        return f"{self.column}{self.op}{self.value}"


def parse_row_filter(text: str) -> RowFilter | None:
    """`channel=web` → RowFilter('channel', '=', 'web'); blank → None (no filter)."""
    text = text.strip()
    if not text:
        return None
    # The first `=` or `~` splits: a value may hold either (`note~a=b`).
    cut = min((i for i in (text.find("="), text.find("~")) if i > 0), default=-1)
    if cut < 0:
        raise ExplorerError(f"Filter '{text}' is not understood: write {ROW_FILTER_HELP}")
    return RowFilter(text[:cut].strip(), text[cut], text[cut + 1 :].strip())


def row_expression(where: RowFilter, schema: pa.Schema, types: dict[str, str]) -> ds.Expression:
    """The pyarrow expression of `where` over a version with `schema`. `types` are the Delta
    type names (`long`) used to word a value that is not of its column's type."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    if where.column not in schema.names:
        raise ExplorerError(
            f"No column '{where.column}' in this version; columns are: {', '.join(schema.names)}"
        )
    arrow_type = schema.field(where.column).type
    # Cast to the version's own type: a data file may hold the column as another type of the
    # same values (delta-rs writes text as string_view), which no kernel compares with a string.
    field = ds.field(where.column).cast(arrow_type)
    if where.op == "~":
        text = field if pa.types.is_string(arrow_type) else field.cast(pa.string())
        return pc.match_substring(text, where.value, ignore_case=True)
    try:
        value = pa.scalar(where.value).cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        kind = types.get(where.column, str(arrow_type))
        raise ExplorerError(
            f"'{where.value}' is not a {kind}, the type of column {where.column}; "
            f"use {where.column}~{where.value} to look for text in it"
        ) from None
    return field == value


def explain_filter_failure(exc: Exception, where: RowFilter, types: dict[str, str]) -> Exception:
    """A filter pyarrow cannot apply (e.g. `~` on a struct column) in one line."""
    import pyarrow as pa

    if isinstance(exc, (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError)):
        kind = types.get(where.column, "this type")
        return ExplorerError(
            f"Filter '{where}' cannot be applied: column {where.column} is a {kind} "
            "(~ looks in text and numbers, = compares one value)"
        )
    return exc
