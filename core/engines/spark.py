"""Silver and gold steps on a Spark Connect endpoint: Spark computes, delta-rs commits.

A step run here is the same block as a local one (core/blocks/silver.py, gold.py) with its
compute moved: silver's cleaning (casts, derived columns, rules, the first failed rule, one live
line per key) and gold's SQL run on the endpoint, reading the tables at the versions the block
opened; the block's own code then checks the contract, commits through delta-rs with the version
in `userMetadata`, quarantines, accounts for every line, writes its state after the commit, and
the runner holds the run lock and reports the heartbeat, exactly as for a local step.

Why delta-rs commits rather than Spark: silver's MERGEs are keyed, partition-pruned and guarded
("a newer line wins", so a replay commits nothing) and their metrics are the row accounting;
gold's overwrite is a partition predicate; the state files record the versions those commits
made. A Spark writer would need each of these again in its own dialect (Sail writes
`userMetadata` on an append, seen here; a Databricks MERGE turns on deletion vectors that other
lakeconsole features must then read), and a crash between its commit and our state file would
be a new case for the kill -9 matrix. The cost: the cleaned rows travel back to this machine.

The cleaning itself is the block's own Python (core/blocks/cleaning.py, and a pipeline's own
`rule.check`/derive functions, shipped by value) sent to the endpoint with `mapInArrow`, never a
Spark-SQL copy of the rules: the endpoint's Python workers need lakeconsole (the same version).
Gold functions run here; the SQL they send through `ctx.sql` runs there (a function that
aggregates in SQL gets its aggregation there).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.api import GoldTable, SilverTable, Table
from lakeconsole.core.blocks import gold as gold_block
from lakeconsole.core.blocks.cleaning import clean, keep_latest
from lakeconsole.core.blocks.gold_context import BlockGoldContext, TablesContext
from lakeconsole.core.blocks.segments import Segment
from lakeconsole.core.blocks.silver import Prepared, Silver
from lakeconsole.core.blocks.tables import plain_strings
from lakeconsole.core.dag import PipelineError, StepContext, StepResult
from lakeconsole.core.engines import spark_label
from lakeconsole.core.engines.remote import parse_remote, remote_secrets, shown_remote

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

    from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.spark")

CONNECT_TIMEOUT_S = 5
# Lines a partition of a silver batch cleans. Measured with a 250k-line sales batch on a local
# Sail server (2 cores): Spark's 200 default shuffle partitions 7.9 s, 5 by key 4.2 s; 4
# round-robin pieces to clean, then 4 by key, 1.2 s. A bigger batch (SILVER_BATCH_ROWS) on a
# cluster gets more pieces.
ROWS_PER_PART = 62_500
RULE, DETAIL, RAW = "_lc_rule", "_lc_detail", "_lc_raw_"  # the shape rows travel in
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt): ")
_sessions: dict[str, SparkSession] = {}
_views: dict[tuple[str, str], tuple[str, int]] = {}  # (remote, view) -> (table, version)
_lock = threading.Lock()


def run(ctx: StepContext, table: Table) -> StepResult:
    """The block step writing `table`, its compute on the Spark Connect endpoint."""
    log.info("step %s on %s", ctx.step, spark_label(ctx.settings))
    try:
        if isinstance(table, SilverTable) and table.from_ is not None:
            return SparkSilver(ctx, table).run()
        if isinstance(table, GoldTable):
            context = partial(SparkGoldContext, settings=ctx.settings)
            return gold_block.run(ctx, table, context)
    except PipelineError:
        raise
    except Exception as exc:
        if _is_spark_error(exc):
            forget_sessions()  # the next run connects afresh (an endpoint restarted, views lost)
            raise PipelineError(_said(ctx.settings, exc)) from exc
        raise
    raise PipelineError(f"{table.name}: the Spark engine runs silver and gold tables")


def session(settings: Settings) -> SparkSession:
    """One Spark Connect session per endpoint for the process, its SQL in UTC."""
    with _lock:
        found = _sessions.get(settings.spark_remote)
        if found is not None:
            return found
        _reachable(settings)
        with warnings.catch_warnings():  # pyspark's notes about pandas versions it has not seen
            warnings.simplefilter("ignore", FutureWarning)
            _import_connect()
            from pyspark.sql import SparkSession

            made = (
                SparkSession.builder.remote(settings.spark_remote)
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        _sessions[settings.spark_remote] = made
        return made


def _import_connect() -> None:
    """Import pyspark's Spark Connect client. On import it takes a `__main__` without a file
    (`python -c`, a pytest-xdist worker) for a doctest run, looks for a SPARK_HOME and exits
    the process (pyspark.sql.connect.utils.check_dependencies, pyspark 4.2): it is told, for
    the import alone, that this is an interactive interpreter."""
    import sys

    if "pyspark.sql.connect" in sys.modules:
        return
    main = sys.modules.get("__main__")
    fileless = main is None or (main.__spec__ is None and not hasattr(main, "__file__"))
    if not fileless or hasattr(sys, "ps1"):
        import pyspark.sql.connect

        return
    sys.ps1 = ">>> "
    try:
        import pyspark.sql.connect  # noqa: F401
    finally:
        del sys.ps1


def _reachable(settings: Settings) -> None:
    """Fail in seconds when nothing listens there: the client would retry for minutes."""
    host, port = parse_remote(settings.spark_remote)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise PipelineError(
            f"the Spark Connect endpoint {shown_remote(settings.spark_remote)} cannot be reached "
            f"({exc.strerror or exc}): start it (on this machine: sail spark server --port "
            f"{port}) or fix LAKECONSOLE_SPARK_REMOTE"
        ) from None


def forget_sessions() -> None:
    """Close the sessions (tests that stop their endpoint)."""
    with _lock:
        for s in _sessions.values():
            try:
                s.stop()
            except Exception:  # an endpoint already gone: nothing to close
                log.debug("closing a Spark session failed", exc_info=True)
        _sessions.clear()
        _views.clear()


def read_delta(spark: SparkSession, dt: DeltaTable) -> DataFrame:
    """The table at the version the block holds: what it checked is what Spark reads."""
    return spark.read.format("delta").option("versionAsOf", dt.version()).load(_location(dt))


def register_view(spark: SparkSession, settings: Settings, name: str, dt: DeltaTable) -> None:
    """`name` as a temporary view of the table at `dt`'s version, once per session: a gold step
    asks for its chunks' rows many times (a round trip each)."""
    held = (_location(dt), dt.version())
    with _lock:
        if _views.get((settings.spark_remote, name)) == held:
            return
    read_delta(spark, dt).createOrReplaceTempView(name)
    with _lock:
        _views[(settings.spark_remote, name)] = held


class SparkSilver(Silver):
    """The silver block with each batch cleaned on the endpoint."""

    def _cleaned(self, bronze: DeltaTable, batch: list[Segment]) -> Prepared:
        table = self.table
        shape = Shape.of(table)
        ship_by_value(table)
        rows = read_delta(session(self.settings), bronze).where(" OR ".join(s.sql() for s in batch))
        rows_read = sum(s.rows for s in batch)
        parts = max(2, -(-rows_read // ROWS_PER_PART))
        # Lines are cleaned in `parts` pieces; then every line of one key meets in one partition,
        # where the latest is kept (the same function as here, so the same line wins).
        out = (
            rows.repartition(parts)
            .mapInArrow(partial(clean_lines, table, shape), shape.spark_schema())
            .repartition(parts, *table.spec.key)
            .mapInArrow(partial(latest_lines, table, shape), shape.spark_schema())
            .toArrow()
        )
        self.ctx.check_cancelled()
        got = out.cast(shape.schema)
        rejected = shape.rejected(got)
        live = shape.live(got)
        if live.num_rows > 1:  # files written in key order are as tight as the local engine's
            live = live.sort_by([(k, "ascending") for k in table.spec.key])
        superseded = rows_read - live.num_rows - rejected.num_rows
        return Prepared(rows_read, live, superseded, rejected)


def ship_by_value(table: SilverTable) -> None:
    """The pipeline's own functions (derived columns, `rule.check`) travel with the code, not
    as a module the endpoint must import: a project's pipeline module next to its `.env` is on no
    worker's path. lakeconsole itself is imported there (it must be installed)."""
    import sys

    from pyspark import cloudpickle

    functions = [d.python for d in table.derive if d.python is not None]
    functions += [r.check for r in table.rules if r.check is not None]
    for name in {getattr(f, "__module__", None) for f in functions}:
        module = sys.modules.get(name or "")
        if module is None or name == "__main__" or (name or "").startswith("lakeconsole."):
            continue
        if name not in cloudpickle.list_registry_pickle_by_value():
            cloudpickle.register_pickle_by_value(module)


class Shape:
    """The one row shape of both halves on the way back: silver's columns, the rejected line's
    landing text (`_lc_raw_<column>`) and its rule and detail (null on a live line)."""

    def __init__(self, live: pa.Schema, rejected: pa.Schema, source: tuple[str, ...]) -> None:
        self.live_schema, self.rejected_schema, self.source = live, rejected, source
        extra = [pa.field(RAW + c, pa.string()) for c in source]
        extra += [pa.field(RULE, pa.string()), pa.field(DETAIL, pa.string())]
        self.schema = pa.schema([f.with_nullable(True) for f in [*live, *extra]])

    @classmethod
    def of(cls, table: SilverTable) -> Shape:
        assert table.from_ is not None and table.rejected_rows is not None
        rejected = pa.schema([f for f in table.rejected_rows.schema if f.name != "_run_id"])
        return cls(table.spec.schema, rejected, table.from_.source.columns)

    def spark_schema(self) -> Any:
        from pyspark.sql.pandas.types import from_arrow_schema

        return from_arrow_schema(self.schema)

    def joined(self, live: pa.Table, rejected: pa.Table) -> pa.Table:
        """Both halves in the one shape."""
        renamed = {c: RAW + c for c in self.source}
        names = [
            renamed.get(n, {"rule": RULE, "detail": DETAIL}.get(n, n))
            for n in rejected.column_names
        ]
        parts = [live, rejected.rename_columns(names)]
        both = pa.concat_tables(parts, promote_options="permissive")
        return _filled(both, self.schema)

    def live(self, rows: pa.Table) -> pa.Table:
        kept = rows.filter(pc.is_null(rows.column(RULE)))
        return kept.select(self.live_schema.names).cast(self.live_schema)

    def rejected(self, rows: pa.Table) -> pa.Table:
        kept = rows.filter(pc.is_valid(rows.column(RULE)))
        there = {c: RAW + c for c in self.source} | {"rule": RULE, "detail": DETAIL}
        picked = kept.select([there.get(n, n) for n in self.rejected_schema.names])
        return picked.rename_columns(self.rejected_schema.names).cast(self.rejected_schema)


def _filled(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """`rows` with every column of `schema` (a missing one all null), in its order and types."""
    columns = [
        rows.column(f.name) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.table(columns, schema=schema) if rows.num_rows else schema.empty_table()


def clean_lines(
    table: SilverTable, shape: Shape, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """On the endpoint: bronze lines → cleaned lines and rejected lines (core.blocks.cleaning)."""
    assert table.from_ is not None
    raw = _concat(batches)
    if raw is None:
        return
    raw = raw.select(table.from_.spec.schema.names).cast(table.from_.spec.schema)
    cleaned = clean(raw, table)
    yield from shape.joined(cleaned.valid, cleaned.rejected).to_batches()


def latest_lines(
    table: SilverTable, shape: Shape, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """On the endpoint: the latest live line of each key (all of a key's lines are here)."""
    rows = _concat(batches)
    if rows is None:
        return
    rows = rows.cast(shape.schema)
    live, _ = keep_latest(shape.live(rows), table.spec.key)
    rejected = rows.filter(pc.is_valid(rows.column(RULE)))
    yield from pa.concat_tables([_filled(live, shape.schema), rejected]).to_batches()


def _concat(batches: Iterator[pa.RecordBatch]) -> pa.Table | None:
    got = list(batches)
    if not got or not sum(b.num_rows for b in got):
        return None
    return pa.Table.from_batches(got)


class SparkTables(TablesContext):
    """`ctx.sql` on the endpoint: each table it reads a temporary view named by its stem."""

    settings: Settings

    def sql(self, query: str) -> pa.Table:
        spark = session(self.settings)
        for name, dt in self.sources.items():
            register_view(spark, self.settings, name, dt)
        try:
            got = spark.sql(query).toArrow()
        except Exception as exc:
            if not _is_spark_error(exc):
                raise
            raise PipelineError(
                f"{self.who}: its SQL failed on {shown_remote(self.settings.spark_remote)} "
                f"({_first_line(exc)}); it can read {', '.join(self.sources) or 'no table'}"
            ) from exc
        return plain_strings(_small_strings(got))


@dataclass
class SparkGoldContext(BlockGoldContext, SparkTables):
    """A gold chunk's context whose SQL runs on the endpoint ({changed} as for a local one)."""

    settings: Settings = field(default=None, repr=False)  # type: ignore[assignment]


def _small_strings(rows: pa.Table) -> pa.Table:
    """Spark answers with large_string columns; the blocks hold plain strings."""
    fields = [
        pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
        for f in rows.schema
    ]
    return rows.cast(pa.schema(fields)) if fields != list(rows.schema) else rows


def _location(dt: DeltaTable) -> str:
    uri = dt.table_uri
    return uri.removeprefix("file://") if uri.startswith("file:///") else uri


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("pyspark", "grpc"))


def _first_line(exc: BaseException) -> str:
    """The error's first line; for a failure in the endpoint's Python workers, the line of
    their traceback that names the exception ('ModuleNotFoundError: No module named ...')."""
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    if "Python worker" in text[0]:
        named = [line.strip() for line in text if _RAISED.match(line.strip())]
        if named:
            return f"its Python workers raised {named[-1]}"
    return text[0]


def _said(settings: Settings, exc: BaseException) -> str:
    """A Spark failure in one line, naming the endpoint and never its credentials."""
    line = _first_line(exc)
    for secret in remote_secrets(settings.spark_remote):
        line = line.replace(secret, "***")
    where = shown_remote(settings.spark_remote)
    if "UNAVAILABLE" in line or "Connection refused" in line or "failed to connect" in line:
        return (
            f"the Spark Connect endpoint {where} cannot be reached ({line}): start it "
            "(on this machine: sail spark server --port 15002) or fix LAKECONSOLE_SPARK_REMOTE"
        )
    if "ModuleNotFoundError" in line:
        return (
            f"on {where}: {line}: install it in the endpoint's Python (it needs lakeconsole "
            "and what the pipeline's functions import; docs/scale-out.md)"
        )
    return f"on {where}: {line}"
