"""Compare two versions of a keyed table: rows added, removed and changed, by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakeconsole.core.explorer.changed_files import ChangeScope, change_scope
from lakeconsole.core.explorer.table import ExplorerError, KeyNeeded, explain, open_table
from lakeconsole.core.explorer.version import SchemaDiff, cell_text, columns_of, diff_schemas
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath

KEYS_PROPERTY = "lakeconsole.keys"
SAMPLE_ROWS = 20


@dataclass(frozen=True)
class ValueChange:
    """One column of a changed row: its value before and after."""

    column: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ChangedRow:
    """A key whose row changed, and each column that changed in it."""

    key: dict[str, Any]
    changes: list[ValueChange]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "changes": [
                {"column": c.column, "before": c.before, "after": c.after} for c in self.changes
            ],
        }


@dataclass(frozen=True)
class Comparison:
    """Counts and a few example keys of each kind of change from `old` to `new`."""

    path: LakePath
    old: int
    new: int
    keys: list[str]
    added: int
    removed: int
    changed: int
    unchanged: int
    compared_columns: list[str]
    schema: SchemaDiff
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # A page of the changed keys (ordered by key, from `changed_offset`), with their values.
    changed_rows: list[ChangedRow] = field(default_factory=list)
    changed_offset: int = 0
    # The data files one version lists and the other not, of all either lists; `read_whole`:
    # too many differ for reading only those to pay, so both versions were read whole.
    files_differing: int = 0
    files: int = 0
    read_whole: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "old": self.old,
            "new": self.new,
            "keys": self.keys,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "compared_columns": self.compared_columns,
            "schema": self.schema.to_json(),
            "samples": self.samples,
            "changed_offset": self.changed_offset,
            "changed_rows": [r.to_json() for r in self.changed_rows],
            "files": {
                "differing": self.files_differing,
                "of": self.files,
                "read_whole": self.read_whole,
            },
        }


def files_read(result: Comparison) -> str:
    """What a compare read, for both faces: only the data files that differ, or both whole."""
    differing = f"{result.files_differing:,} of {result.files:,} data files differ"
    if result.read_whole:
        return f"{differing}: both versions were read whole"
    return f"{differing}: only their partitions and key ranges were read"


def parse_range(text: str) -> tuple[int, int]:
    """'3..7' → (3, 7)."""
    old, sep, new = text.partition("..")
    try:
        if not sep:
            raise ValueError
        return int(old), int(new)
    except ValueError:
        raise ExplorerError(
            f"'{text}' is not a version range; write it as OLD..NEW, e.g. 3..7"
        ) from None


def infer_keys(
    name: str,
    columns: list[str],
    configuration: dict[str, str],
    settings: Settings | None = None,
) -> list[str]:
    """The table's keys: the key the pipeline declares, a `lakeconsole.keys` property, or `id`."""
    keys = _declared_key(name, settings) if settings is not None else []
    if not keys and configuration.get(KEYS_PROPERTY):
        keys = [k.strip() for k in configuration[KEYS_PROPERTY].split(",") if k.strip()]
    if not keys and "id" in columns:
        keys = ["id"]
    if not keys:
        raise KeyNeeded(f"No key known for {name}: name the columns that identify one row")
    return keys


def _declared_key(name: str, settings: Settings) -> list[str]:
    # The explorer works on any Delta table, so a pipeline that does not load only costs the
    # declared keys (the console and `check` say why it does not load).
    from lakeconsole.core.pipeline import loaded_or_none

    pipeline = loaded_or_none(settings)
    spec = pipeline.table(name) if pipeline is not None else None
    return list(spec.key) if spec is not None else []


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compare_versions(
    path: LakePath,
    old: int,
    new: int,
    keys: list[str] | None = None,
    name: str | None = None,
    sample: int = SAMPLE_ROWS,
    settings: Settings | None = None,
    changed_offset: int = 0,
) -> Comparison:
    """Rows added, removed and changed by key from version `old` to `new`. Reads only the rows
    where the versions can differ: the files one has and the other not (changed_files).

    Without `keys`, the key the pipeline in `settings` declares for table `name` is used.
    `sample` changed keys from `changed_offset` (in key order) come with their changed values."""
    from deltalake import QueryBuilder

    before, after = open_table(path, old), open_table(path, new)
    old_cols, new_cols = columns_of(before), columns_of(after)
    names_old, names_new = [c.name for c in old_cols], [c.name for c in new_cols]
    config = dict(after.metadata().configuration or {})
    keys = keys or infer_keys(name or path.name, names_new, config, settings)
    missing = [k for k in keys if k not in names_old or k not in names_new]
    if renamed := _renamed(before, after, missing):
        raise ExplorerError(
            f"Key column {renamed[1]} was renamed between versions {old} and {new} (it is "
            f"{renamed[0]} in version {old}; column mapping): compare versions on one side of "
            "the rename ('lakeconsole history' shows the RENAME COLUMN commit)"
        )
    if missing:
        raise ExplorerError(
            f"Key column(s) {', '.join(missing)} not in both versions {old} and {new}; "
            f"columns are: {', '.join(names_new)}"
        )
    common = [c for c in names_new if c in names_old and c not in keys]
    try:
        # Registering checks the reader features (VariantShreddingPreview...): one line then.
        qb = QueryBuilder().register("old_t", before).register("new_t", after)
        scope = change_scope(before, after, keys[0], [n for n in names_new if n in names_old])
        counted = _count(_Query(qb, scope), keys, common, sample, changed_offset, (old, new))
    except ExplorerError:
        raise
    except Exception as exc:
        raise explain(exc, path) from None
    return Comparison(
        path,
        old,
        new,
        keys,
        compared_columns=common,
        schema=diff_schemas(old_cols, new_cols),
        changed_offset=changed_offset,
        files_differing=scope.changed_files,
        files=scope.files,
        read_whole=scope.predicate is None,
        **counted,
    )


class _Query:
    """SQL over `old_v` and `new_v`: the two versions within the scope of the changed files."""

    def __init__(self, qb: Any, scope: ChangeScope) -> None:
        self.qb, self.scope = qb, scope
        where = scope.where()
        self.views = (
            f"WITH old_v AS (SELECT * FROM old_t{where}), new_v AS (SELECT * FROM new_t{where}) "
        )

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return _rows(self.qb, self.views + sql)

    def scalar(self, sql: str) -> int:
        return int(self.rows(sql)[0]["n"])

    def rows_outside(self, inside: int) -> int:
        """Rows of the newer version outside the scope: in files both versions share."""
        if self.scope.predicate is None:
            return 0
        total = self.scope.rows_after
        if total is None:  # the log does not count them: count them
            total = int(_rows(self.qb, "SELECT count(*) AS n FROM new_t")[0]["n"])
        return total - inside


def _count(
    query: _Query,
    keys: list[str],
    common: list[str],
    sample: int,
    offset: int,
    versions: tuple[int, int],
) -> dict[str, Any]:
    """Added, removed, changed and unchanged keys, with samples and a page of changed values."""
    for table, version in (("old_v", versions[0]), ("new_v", versions[1])):
        dupes = query.scalar(
            f"SELECT count(*) AS n FROM (SELECT {_keylist(keys)} FROM {table} "
            f"GROUP BY {_keylist(keys)} HAVING count(*) > 1) d"
        )
        if dupes:
            raise KeyNeeded(
                f"Key ({', '.join(keys)}) is not unique in version {version} ({dupes} keys "
                "repeat): name the columns that identify one row"
            )
    on = " AND ".join(f"o.{_quote(k)} = n.{_quote(k)}" for k in keys)
    # Parenthesised: DataFusion binds OR tighter than IS DISTINCT FROM.
    differs = " OR ".join(f"(o.{_quote(c)} IS DISTINCT FROM n.{_quote(c)})" for c in common)
    differs = differs or "false"
    order_new = ", ".join(f"n.{_quote(k)}" for k in keys)
    order_old = ", ".join(f"o.{_quote(k)}" for k in keys)
    added_sql = f"FROM new_v n LEFT JOIN old_v o ON {on} WHERE o.{_quote(keys[0])} IS NULL"
    removed_sql = f"FROM old_v o LEFT JOIN new_v n ON {on} WHERE n.{_quote(keys[0])} IS NULL"
    changed_sql = f"FROM old_v o JOIN new_v n ON {on} WHERE {differs}"
    # Each query reads the files in scope again (on S3, a few GETs each): one for both counts
    # of the keys in both versions, none for samples of nothing.
    joined = query.rows(
        f"SELECT count(*) AS n, count(*) FILTER (WHERE {differs}) AS c "
        f"FROM old_v o JOIN new_v n ON {on}"
    )[0]
    both, changed = int(joined["n"]), int(joined["c"] or 0)
    added = query.scalar(f"SELECT count(*) AS n {added_sql}")
    removed = query.scalar(f"SELECT count(*) AS n {removed_sql}")
    changed_rows = (
        _changed_rows(query, keys, common, changed_sql, sample, offset) if changed > offset else []
    )

    def keys_of(count: int, select: str, sql: str) -> list[dict[str, Any]]:
        # In key order: the same keys on disk and on S3, whatever order files are read in.
        if not count or not sample:
            return []
        return query.rows(f"SELECT {select} {sql} ORDER BY {select} LIMIT {sample}")

    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        # Each row of new_v is an added key or one in both (keys are unique, checked above).
        "unchanged": both - changed + query.rows_outside(added + both),
        "samples": {
            "added": keys_of(added, order_new, added_sql),
            "removed": keys_of(removed, order_old, removed_sql),
            "changed": [row.key for row in changed_rows],
        },
        "changed_rows": changed_rows,
    }


def _renamed(before: Any, after: Any, missing: list[str]) -> tuple[str, str] | None:
    """(old name, new name) of a missing key column that column mapping renamed, or None."""

    def physical(dt: Any) -> dict[str, str]:
        return {
            str(f.metadata.get("delta.columnMapping.physicalName")): f.name
            for f in dt.schema().fields
            if f.metadata.get("delta.columnMapping.physicalName")
        }

    old_names, new_names = physical(before), physical(after)
    for stored, name in new_names.items():
        if name in missing and stored in old_names and old_names[stored] != name:
            return old_names[stored], name
    return None


def _changed_rows(
    query: _Query, keys: list[str], common: list[str], changed_sql: str, limit: int, offset: int
) -> list[ChangedRow]:
    """A page of changed keys, each with the columns whose value differs (before → after)."""
    # Positional aliases: column names may clash with each other once prefixed.
    values = [f"n.{_quote(k)} AS k{i}" for i, k in enumerate(keys)]
    values += [f"o.{_quote(c)} AS b{i}, n.{_quote(c)} AS a{i}" for i, c in enumerate(common)]
    order = ", ".join(f"n.{_quote(k)}" for k in keys)
    sql = f"SELECT {', '.join(values)} {changed_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    out = []
    for row in query.rows(sql):
        changes = [
            ValueChange(c, row[f"b{i}"], row[f"a{i}"])
            for i, c in enumerate(common)
            if not _same(row[f"b{i}"], row[f"a{i}"])
        ]
        out.append(ChangedRow({k: row[f"k{i}"] for i, k in enumerate(keys)}, changes))
    return out


def value_rows(rows: list[ChangedRow], width: int = 30) -> list[list[str]]:
    """Changed rows as text lines for both faces: the key (on a key's first line only), the
    column, and `before → after`."""
    lines = []
    for row in rows:
        key = [cell_text(v, width) for v in row.key.values()]
        for index, change in enumerate(row.changes):
            shown = key if index == 0 else [""] * len(key)
            before, after = (_value_text(v, width) for v in (change.before, change.after))
            lines.append([*shown, change.column, f"{before} → {after}"])
    return lines


def _value_text(value: Any, width: int) -> str:
    # null and an empty text are different changes: say which.
    return "null" if value is None else (cell_text(value, width) or '""')


def _same(before: Any, after: Any) -> bool:
    # NaN is not equal to itself in Python, but it is no change (SQL said so too).
    if isinstance(before, float) and isinstance(after, float):
        return before == after or (before != before and after != after)
    return bool(before == after)


def _keylist(keys: list[str]) -> str:
    return ", ".join(_quote(k) for k in keys)


def _rows(qb: Any, sql: str) -> list[dict[str, Any]]:
    import pyarrow as pa

    rows: list[dict[str, Any]] = pa.table(qb.execute(sql).read_all()).to_pylist()
    return rows
