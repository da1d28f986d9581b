"""One version of a table: its schema, what changed against the previous version, its rows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeconsole.core.contracts import SchemaDiff, delta_type_name, diff_types
from lakeconsole.core.explorer.filters import RowFilter, explain_filter_failure, row_expression
from lakeconsole.core.explorer.table import ExplorerError, explain, open_table
from lakeconsole.core.storage import LakePath, as_location

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

DEFAULT_ROWS = 20


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class RowsPage:
    """Rows `offset`..`offset+len` of a version. `ordered` is False when the page order is not
    stable between reads (tables only delta-rs's own reader can read, e.g. deletion vectors).
    With a filter (`where`), `total_rows` counts the matching rows and `all_rows` the version's."""

    table: pa.Table
    offset: int
    total_rows: int | None
    ordered: bool
    where: RowFilter | None = None
    all_rows: int | None = None

    @property
    def has_more(self) -> bool:
        if self.total_rows is None:
            return self.table.num_rows > 0
        return self.offset + self.table.num_rows < self.total_rows


def columns_of(dt: DeltaTable) -> list[Column]:
    """The table's top-level columns with Delta type names (`long`, `string`, `struct<...>`),
    written as the schema contracts write them."""
    fields = json.loads(dt.schema().to_json())["fields"]
    return [
        Column(f["name"], delta_type_name(f["type"]), bool(f.get("nullable", True))) for f in fields
    ]


def diff_schemas(old: list[Column], new: list[Column]) -> SchemaDiff:
    """What changed from `old` to `new`, by column name: the contracts' diff and wording."""
    return diff_types({c.name: c.type for c in old}, {c.name: c.type for c in new})


@dataclass(frozen=True)
class VersionSchema:
    """A version's columns and the change against the previous version (None for version 0,
    or when the previous version's log is gone)."""

    version: int
    columns: list[Column]
    diff: SchemaDiff | None
    previous: int | None


def schema_at(
    path: LakePath, version: int | None = None, dt: DeltaTable | None = None
) -> VersionSchema:
    """Schema of `version` (default latest; or of the open `dt`) and its diff against the
    version before it."""
    from lakeconsole.core.explorer.log import read_commit

    dt = dt or open_table(path, version)
    current = dt.version()
    columns = columns_of(dt)
    if current == 0:
        return VersionSchema(current, columns, None, None)
    try:
        # A commit without a metaData action keeps the schema: no need to replay the log
        # again for the previous version (seconds on a long log without checkpoints).
        if not read_commit(path, current).changes_metadata:
            return VersionSchema(current, columns, SchemaDiff(), current - 1)
    except ExplorerError:
        pass
    try:
        previous = columns_of(open_table(path, current - 1))
    except ExplorerError:
        return VersionSchema(current, columns, None, None)
    return VersionSchema(current, columns, diff_schemas(previous, columns), current - 1)


def rows_page(
    path: LakePath,
    version: int | None = None,
    offset: int = 0,
    limit: int = DEFAULT_ROWS,
    dt: DeltaTable | None = None,
    where: RowFilter | None = None,
) -> RowsPage:
    """Rows of a version (time travel; or of the open `dt`), reading only the files the page
    needs. With `where`, only the matching rows, counted over the whole version."""
    from deltalake.exceptions import DeltaProtocolError

    dt = dt or open_table(path, version)
    total = total_rows(dt)
    try:
        try:
            if where is not None:
                return _filtered_page(dt, path, offset, limit, total, where)
            return _page_from_files(dt, path, offset, limit, total)
        except DeltaProtocolError:
            # Deletion vectors, column mapping...: only delta-rs's reader applies them.
            return _page_from_scan(dt, offset, limit, total, where)
    except ExplorerError:
        raise
    except Exception as exc:
        if where is not None:
            exc = explain_filter_failure(exc, where, _types(dt))
            if isinstance(exc, ExplorerError):
                raise exc from None
        raise explain(exc, path, dt.version()) from None


def total_rows(dt: DeltaTable) -> int | None:
    """Live rows of the snapshot (stats less deletion vectors); None when a file has no stats."""
    from lakeconsole.core.lake import add_actions, live_rows

    return live_rows(dt, add_actions(dt))


def _page_from_files(
    dt: DeltaTable, path: LakePath, offset: int, limit: int, total: int | None
) -> RowsPage:
    """File by file in path order, so page N+1 starts where page N ended."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    # Our own file system: delta-rs's file-system handler can abort the process at exit.
    filesystem = as_location(path).arrow_filesystem()
    dataset = dt.to_pyarrow_dataset(filesystem=filesystem)
    fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)

    skipped, first = _whole_files_before(fragments, offset)
    stream = (
        batch
        for fragment in fragments[first:]
        for batch in ds.Scanner.from_fragment(fragment, schema=dataset.schema).to_batches()
    )
    batches = _slice(stream, offset - skipped, limit)
    table = pa.Table.from_batches(batches, schema=dataset.schema)
    return RowsPage(table, offset, total, ordered=True)


def _types(dt: DeltaTable) -> dict[str, str]:
    return {c.name: c.type for c in columns_of(dt)}


def _filtered_page(
    dt: DeltaTable, path: LakePath, offset: int, limit: int, total: int | None, where: RowFilter
) -> RowsPage:
    """The matching rows, file by file in path order as unfiltered pages are: each file's
    matches are counted first (only the filter's column is read), so the count is exact."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    filesystem = as_location(path).arrow_filesystem()
    dataset = dt.to_pyarrow_dataset(filesystem=filesystem)
    expression = row_expression(where, dataset.schema, _types(dt))
    fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)
    # Counted through a scanner with the table's schema: a fragment alone knows only its file's
    # columns, not the partition values the filter may name.
    counts = [
        int(ds.Scanner.from_fragment(f, schema=dataset.schema, filter=expression).count_rows())
        for f in fragments
    ]
    skipped, first = 0, len(fragments)
    for index, count in enumerate(counts):
        if skipped + count > offset:
            first = index
            break
        skipped += count
    stream = (
        batch
        for fragment in fragments[first:]
        for batch in ds.Scanner.from_fragment(
            fragment, schema=dataset.schema, filter=expression
        ).to_batches()
    )
    batches = _slice(stream, offset - skipped, limit)
    table = pa.Table.from_batches(batches, schema=dataset.schema)
    return RowsPage(table, offset, sum(counts), True, where, total)


def _whole_files_before(fragments: list[Any], offset: int) -> tuple[int, int]:
    """(rows, files) wholly before `offset`: counted from parquet footers, never read."""
    skipped = 0
    for index, fragment in enumerate(fragments):
        count = int(fragment.count_rows())
        if skipped + count > offset:
            return skipped, index
        skipped += count
    return skipped, len(fragments)


def _slice(batches: Iterable[Any], skip: int, need: int) -> list[Any]:
    """Rows [skip, skip + need) of a stream of record batches, reading no further than needed."""
    out: list[Any] = []
    if need <= 0:
        return out
    for batch in batches:
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        piece = batch.slice(skip, need)
        skip = 0
        out.append(piece)
        need -= piece.num_rows
        if need <= 0:
            break  # before pulling another batch, which could open another file
    return out


def _page_from_scan(
    dt: DeltaTable, offset: int, limit: int, total: int | None, where: RowFilter | None = None
) -> RowsPage:
    import pyarrow as pa

    schema = pa.schema(dt.schema().to_arrow())
    stream = (pa.record_batch(raw) for raw in dt.scan())
    if where is None:
        batches = _slice(stream, offset, limit)
        table = pa.Table.from_batches(batches) if batches else schema.empty_table()
        return RowsPage(table, offset, total, ordered=False)
    # delta-rs's reader takes no pyarrow filter: every batch is read and filtered here, which
    # also counts the matches.
    expression = row_expression(where, schema, _types(dt))
    matching = [pa.Table.from_batches([b]).filter(expression) for b in stream]
    found = sum(t.num_rows for t in matching)
    pieces = _slice((b for t in matching for b in t.to_batches()), offset, limit)
    table = pa.Table.from_batches(pieces, schema=schema) if pieces else schema.empty_table()
    return RowsPage(table, offset, found, False, where, total)


def cell_text(value: Any, width: int = 40) -> str:
    """A value as one short line for a table cell: None as empty, long text cut with '…'."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def text_rows(table: pa.Table, width: int = 40) -> list[list[str]]:
    """A page's rows as display strings, in column order."""
    return [[cell_text(v, width) for v in row.values()] for row in table.to_pylist()]
