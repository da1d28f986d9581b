"""The pipeline API: how a team declares its own medallion, re-exported as `lakeconsole`.

    from lakeconsole import Pipeline, col, landing, rule

    shop = Pipeline("shop")
    raw = shop.bronze("bronze/orders_raw", source=landing("orders_*.csv", columns=[...]))
    orders = shop.silver("silver/orders", from_=raw, key=("order_id",), columns=[...],
                         rules=[rule.not_null("order_id")])

    @shop.gold("gold/sales/daily", reads=[orders], key=("day",), partition_by=("day",), ...)
    def daily(ctx, changed): ...

A declaration only describes: the engine's blocks (core.blocks) do the runbook's work for
every declared table (ledger, lineage, quarantine, MERGE, watermark, contracts, crash safety).
Declaring imports no pyarrow and no deltalake; mistakes are refused when the pipeline loads
(`Pipeline.steps()`), each with the table and the fix in one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lakeconsole.core.dag import PipelineError, Step, StepContext, StepResult
from lakeconsole.core.events import Layer
from lakeconsole.core.tables import Column, TableSpec
from lakeconsole.core.types import TypeNameError, normal_type

if TYPE_CHECKING:
    import pyarrow as pa

LAYERS = ("bronze", "silver", "gold", "quarantine")
FORMATS = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "json": "jsonl", "parquet": "parquet"}
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# The lineage every bronze row carries, and silver and quarantine rows keep (OPS-02).
LINEAGE: tuple[Column, ...] = (
    Column("_source_file", "string", "Landing file name the line came from"),
    Column("_source_hash", "string", "SHA-256 of the landing file's content"),
    Column(
        "_source_row", "int64", "Data row number in the landing file (1 = first after the header)"
    ),
    Column(
        "_ingested_at",
        "timestamp",
        "When bronze ingested the file; later wins when a line is re-sent",
    ),
)
RUN_ID = Column("_run_id", "string", "Run that ingested the file")


class DeclarationError(PipelineError):
    """A pipeline declaration is wrong; the message names the table and the fix."""


# ---------------------------------------------------------------------------------------------
# Columns, landing sources, rules, derived columns


@dataclass(frozen=True)
class Col:
    """A declared column: its name, type name (core.types), description for the dictionary.

    `invalid`/`problem` name the rule a value that does not parse as the type fails (default:
    `<name>_invalid`, "is not a valid <type>")."""

    name: str
    type: str = "string"
    description: str = ""
    invalid: str | None = None
    problem: str | None = None

    def column(self) -> Column:
        return Column(self.name, self.type, self.description)


def col(
    name: str,
    type: str = "string",
    description: str = "",
    *,
    invalid: str | None = None,
    problem: str | None = None,
) -> Col:
    """Declare a column: `col("price", "decimal(18,2)", "Unit price, exact to the cent")`."""
    return Col(name, type, description, invalid, problem)


@dataclass(frozen=True)
class Landing:
    """Where bronze finds its files: a glob under data/landing (or a sub-folder of it), the
    format (from the glob's suffix unless named) and the columns each file must have."""

    pattern: str
    columns: tuple[str, ...]
    format: str
    folder: str = ""


def landing(
    pattern: str,
    *,
    columns: Sequence[str],
    format: str | None = None,
    folder: str = "",
) -> Landing:
    """A landing source: `landing("orders_*.csv", columns=["order_id", ...])`.

    Formats: csv (header line, any column order), jsonl (one JSON object per line; nested values
    kept as JSON text) and parquet. Every column is kept as raw text in bronze."""
    suffix = pattern.rsplit(".", 1)[-1].lower() if "." in pattern else ""
    chosen = (format or suffix).lower()
    # An unknown format is refused by the bronze table that uses it, which names itself.
    return Landing(pattern, tuple(columns), FORMATS.get(chosen, ""), folder.strip("/"))


@dataclass(frozen=True)
class Rule:
    """A validation rule on silver rows. A row failing any rule goes to quarantine with the
    first rule it failed (in declaration order), `"<column> '<value>' <problem>"` as detail."""

    name: str
    column: str
    kind: str  # not_null, parses, at_least, at_most, between, one_of, matches, check
    problem: str
    args: tuple[Any, ...] = ()
    check: Callable[[pa.Table], Any] | None = None  # kind "check": the rows that pass
    # Shares of a run's lines this rule rejects (0.01 = 1%): above warn_above the run warns,
    # above fail_above the step fails after quarantining (Lakeflow's expect / expect_or_fail).
    warn_above: float | None = None
    fail_above: float | None = None

    def thresholds(
        self, *, warn_above: float | None = None, fail_above: float | None = None
    ) -> Rule:
        """This rule with a warn and/or fail threshold: `rule.not_null("id").thresholds(
        warn_above=0.01, fail_above=0.05)`."""
        return replace(self, warn_above=warn_above, fail_above=fail_above)


class rule:
    """The rules a silver table can declare; each takes `name=` and `problem=` to override
    the default rule name (`<column>_<kind>`) and wording."""

    @staticmethod
    def not_null(column: str, *, name: str | None = None, problem: str | None = None) -> Rule:
        """The value is present and not empty."""
        return Rule(name or f"{column}_missing", column, "not_null", problem or "is empty")

    @staticmethod
    def parses(column: str, *, name: str | None = None, problem: str | None = None) -> Rule:
        """The raw text parses as the column's declared type (placed where it is listed;
        otherwise it is checked first for every typed column, named `<column>_invalid`)."""
        return Rule(name or f"{column}_invalid", column, "parses", problem or "")

    @staticmethod
    def at_least(
        column: str, low: float, *, name: str | None = None, problem: str | None = None
    ) -> Rule:
        return Rule(
            name or f"{column}_too_low", column, "at_least", problem or f"is below {low}", (low,)
        )

    @staticmethod
    def at_most(
        column: str, high: float, *, name: str | None = None, problem: str | None = None
    ) -> Rule:
        return Rule(
            name or f"{column}_too_high", column, "at_most", problem or f"is above {high}", (high,)
        )

    @staticmethod
    def between(
        column: str,
        low: float,
        high: float,
        *,
        name: str | None = None,
        problem: str | None = None,
    ) -> Rule:
        return Rule(
            name or f"{column}_out_of_range",
            column,
            "between",
            problem or f"is not between {low} and {high}",
            (low, high),
        )

    @staticmethod
    def one_of(
        column: str,
        values: Iterable[object],
        *,
        name: str | None = None,
        problem: str | None = None,
    ) -> Rule:
        allowed = tuple(values)
        shown = ", ".join(map(str, allowed[:8])) + (", ..." if len(allowed) > 8 else "")
        return Rule(
            name or f"{column}_not_allowed",
            column,
            "one_of",
            problem or f"is not one of {shown}",
            allowed,
        )

    @staticmethod
    def matches(
        column: str, pattern: str, *, name: str | None = None, problem: str | None = None
    ) -> Rule:
        return Rule(
            name or f"{column}_malformed",
            column,
            "matches",
            problem or f"does not match {pattern}",
            (pattern,),
        )

    @staticmethod
    def check(
        name: str, column: str, passes: Callable[[pa.Table], Any], *, problem: str = "is invalid"
    ) -> Rule:
        """A custom rule: `passes(rows)` returns a boolean array, true where a row is valid
        (rows: the batch's typed silver columns as a pyarrow Table). A rule that raises fails
        the step before anything is committed."""
        return Rule(name, column, "check", problem, (), passes)


def _check_thresholds(table: str, rules: Sequence[Rule]) -> None:
    """Each threshold a share (0 ≤ x < 1), warn at most fail, and one pair per rule name (two
    rules may share a name: `line_no_invalid` for parses and at_least)."""
    held: dict[str, tuple[float | None, float | None]] = {}
    for r in rules:
        for what, value in (("warn_above", r.warn_above), ("fail_above", r.fail_above)):
            if value is not None and not 0 <= value < 1:
                raise DeclarationError(
                    f"{table}: rule {r.name}: {what} is a share of a run's lines, 0 ≤ x < 1 "
                    "(0.05 = 5%)"
                )
        if r.warn_above is not None and r.fail_above is not None and r.warn_above > r.fail_above:
            raise DeclarationError(
                f"{table}: rule {r.name}: warn_above {r.warn_above} is above fail_above "
                f"{r.fail_above}; warn at a smaller share than you fail"
            )
        pair = (r.warn_above, r.fail_above)
        if pair == (None, None):
            continue
        if held.setdefault(r.name, pair) != pair:
            raise DeclarationError(
                f"{table}: rule {r.name} is declared twice with different thresholds "
                f"{held[r.name]} and {pair}: give them once, on one of the two"
            )


# Derived columns: "upper(c)", "lower(c)", "trim(c)", "date(c)" or "c::<type>", or a Python
# function of the typed rows returning an array.
DERIVE_FORMS = ("upper", "lower", "trim", "date")
_CALL = re.compile(r"^\s*(\w+)\s*\(\s*(\w+)\s*\)\s*$")
_CAST = re.compile(r"^\s*(\w+)\s*::\s*(.+?)\s*$")


@dataclass(frozen=True)
class Derived:
    """How one silver column is computed: a function of one column, or a Python callable."""

    column: str
    function: str  # upper, lower, trim, date, cast, python
    source: str = ""
    to_type: str = ""
    python: Callable[[pa.Table], Any] | None = None


def parse_derive(column: str, how: str | Callable[[pa.Table], Any]) -> Derived:
    if callable(how):
        return Derived(column, "python", python=how)
    call, cast = _CALL.match(how), _CAST.match(how)
    if call and call[1].lower() in DERIVE_FORMS:
        return Derived(column, call[1].lower(), call[2])
    if cast:
        try:
            return Derived(column, "cast", cast[1], normal_type(cast[2]))
        except TypeNameError as exc:
            raise DeclarationError(f"derive {column} = '{how}': {exc}") from None
    raise DeclarationError(
        f"derive {column} = '{how}': write one of {', '.join(f + '(column)' for f in DERIVE_FORMS)}"
        ", column::type, or a Python function of the rows"
    )


# ---------------------------------------------------------------------------------------------
# Tables


@dataclass(eq=False, repr=False)
class Table:
    """A declared table. `spec` is what every feature reads (core.tables.TableSpec)."""

    pipeline: Pipeline
    name: str
    layer: str
    spec: TableSpec
    step: str  # the step that writes it

    @property
    def stem(self) -> str:
        """The last part of its path: the name SQL and `ctx` calls use (`sales_orders`)."""
        return self.name.rsplit("/", 1)[-1]

    def __repr__(self) -> str:
        return f"<{self.layer} table {self.name}>"


@dataclass(eq=False, repr=False)
class BronzeTable(Table):
    source: Landing = field(default_factory=lambda: Landing("*.csv", (), "csv"))
    rejected_files: TableSpec | None = None


@dataclass(eq=False, repr=False)
class SilverTable(Table):
    from_: BronzeTable | None = None
    declared: tuple[Col, ...] = ()
    derive: tuple[Derived, ...] = ()
    rules: tuple[Rule, ...] = ()
    rejected_rows: TableSpec | None = None
    fail_above: float | None = None  # share of a run's rows rejected that fails the step
    batch_rows: int | None = None


@dataclass(eq=False, repr=False)
class GoldTable(Table):
    reads: tuple[Table, ...] = ()
    compute: Callable[..., Any] | None = None  # (ctx, changed) -> pyarrow Table
    sql: str | None = None


@dataclass(eq=False, repr=False)
class CustomTable(Table):
    """A table a `@pipeline.step` writes through ctx.append / ctx.merge / ctx.overwrite."""


@dataclass(frozen=True)
class CustomStep:
    name: str
    run: Callable[..., Any]
    reads: tuple[Table, ...]
    writes: tuple[Table, ...]
    description: str


T = TypeVar("T", bound=Callable[..., Any])


class GoldContext(Protocol):
    """What a gold function gets: the run, and silver to read (core.blocks.gold builds it)."""

    run_id: str

    def sql(self, query: str) -> pa.Table:
        """Run SQL (DataFusion) over the tables the gold table reads, each by its stem
        (`FROM sales_orders`); `{changed}` is replaced by the changed partition values as a
        SQL list. Returns the whole result as a pyarrow Table."""
        ...

    def read(
        self, table: Table | str, columns: Sequence[str] | None = None, where: str | None = None
    ) -> pa.Table:
        """The rows of one table it reads (only `columns`; `where` a SQL condition)."""
        ...


# ---------------------------------------------------------------------------------------------
# The pipeline


class Pipeline:
    """A team's medallion: its tables in declaration order, and the steps that write them.

    `demo` (optional) writes deterministic sample landing files for `lakeconsole demo`: a
    function, or "module:function" imported only when asked (it usually needs pyarrow), called as
    `demo(folder, rows=, files=, seed=, prefix=, after=)` and returning what it wrote.
    `readme_templates` is a folder of `<mart>.md` files: a mart's README (OPS-05) starts from
    its template when missing (otherwise from lakeconsole's generic one)."""

    def __init__(
        self,
        name: str,
        *,
        description: str = "",
        demo: Callable[..., Any] | str | None = None,
        readme_templates: str | PathLike[str] | None = None,
    ) -> None:
        if not NAME.match(name):
            raise DeclarationError(
                f"Pipeline('{name}'): a pipeline name is lowercase letters, digits and _ "
                "(it names the pipeline's state folder)"
            )
        self.name = name
        self.description = description
        self.demo = demo
        self.readme_templates = Path(readme_templates) if readme_templates is not None else None
        self._tables: dict[str, Table] = {}
        self._custom: list[CustomStep] = []

    # -- declaring ------------------------------------------------------------------------------

    def bronze(
        self,
        name: str,
        *,
        source: Landing,
        version: str = "1.0.0",
        description: str = "",
        rejected_files: str | None = None,
        step: str | None = None,
        no_dictionary: Sequence[str] = (),
    ) -> BronzeTable:
        """An append-only raw table fed from landing files: each file's content exactly once
        (the ingestion ledger), every column as text plus lineage; bad files are recorded in
        `rejected_files` (default `quarantine/<stem>_files_rejected`) and left in place."""
        stem = self._path(name, "bronze")
        if not isinstance(source, Landing):
            raise DeclarationError(
                f"{name}: source= is a {type(source).__name__}; use landing(...)"
            )
        if not source.format:
            raise DeclarationError(
                f"{name}: cannot tell the format of landing('{source.pattern}') from its name; "
                f"say format= one of {', '.join(sorted(set(FORMATS.values())))}"
            )
        if not source.columns:
            raise DeclarationError(f"{name}: landing(...) needs columns=[...] (what each file has)")
        raw = tuple(
            Column(c, "string", f"{c} exactly as in the landing file") for c in source.columns
        )
        spec = TableSpec(
            name=name,
            layer="bronze",
            columns=(*raw, *LINEAGE, RUN_ID),
            version=self._version(name, version),
            description=description or f"Landing {source.pattern} as raw text plus lineage.",
            no_dictionary=tuple(no_dictionary),
        )
        files = TableSpec(
            name=rejected_files or f"quarantine/{stem}_files_rejected",
            layer="quarantine",
            columns=(
                Column("file", "string", "Landing file name (the file is left in place)"),
                Column("content_hash", "string", "SHA-256 of the file's content"),
                Column("size_bytes", "int64", "File size"),
                Column(
                    "reason",
                    "string",
                    f"Why it could not be read as the expected {source.format.upper()}",
                ),
                Column("detected_at", "timestamp", "When bronze rejected it"),
                Column("_run_id", "string", "Run that rejected it"),
            ),
            version="1.0.0",
            description=(
                "Landing files bronze could not read (binary, empty, bad header, not UTF-8)."
            ),
            key=("file", "content_hash"),
        )
        table = BronzeTable(
            self,
            name,
            "bronze",
            spec,
            step or f"bronze_{stem}",
            source=source,
            rejected_files=files,
        )
        return self._add(table)

    def silver(
        self,
        name: str,
        *,
        from_: BronzeTable,
        columns: Sequence[Col],
        key: Sequence[str],
        version: str = "1.0.0",
        description: str = "",
        partition_by: Sequence[str] = (),
        zorder_by: Sequence[str] = (),
        derive: Mapping[str, str | Callable[[pa.Table], Any]] | None = None,
        rules: Sequence[Rule] = (),
        rejected_rows: str | None = None,
        fail_above: float | None = None,
        step: str | None = None,
        no_dictionary: Sequence[str] = (),
        batch_rows: int | None = None,
    ) -> SilverTable:
        """A typed, validated, deduplicated table: one live row per key, the latest ingested
        line winning, written by MERGE through a resumable watermark over `from_`. Rows that
        fail a rule go to `rejected_rows` (default `quarantine/<stem>_rejected`)."""
        stem = self._path(name, "silver")
        if not isinstance(from_, BronzeTable) or from_.pipeline is not self:
            raise DeclarationError(f"{name}: from_= must be a bronze table this pipeline declares")
        cols = tuple(self._col(name, c) for c in columns)
        names = [c.name for c in cols]
        try:
            derived = tuple(parse_derive(c, how) for c, how in (derive or {}).items())
        except DeclarationError as exc:
            raise DeclarationError(f"{name}: {exc}") from None
        self._known(name, "key", key, names)
        self._known(name, "partition_by", partition_by, names)
        self._known(name, "zorder_by", zorder_by, names)
        if not key:
            raise DeclarationError(f"{name}: a silver table needs key=(...) (what makes a row one)")
        derived_names = {d.column for d in derived}
        raw = set(from_.source.columns)
        for c in names:
            if c not in raw and c not in derived_names:
                raise DeclarationError(
                    f"{name}: column '{c}' is neither in {from_.name}'s landing columns nor "
                    f"derived; add it to landing(columns=...) or to derive={{'{c}': ...}}"
                )
        for d in derived:
            if d.column not in names:
                raise DeclarationError(f"{name}: derive names '{d.column}', not a declared column")
            if d.source and d.source not in names and d.source not in raw:
                raise DeclarationError(
                    f"{name}: derive {d.column} reads '{d.source}', which is not a column"
                )
        for r in rules:
            if not isinstance(r, Rule):
                raise DeclarationError(f"{name}: rules= holds {r!r}; declare each with rule.*")
            if r.column not in names:
                raise DeclarationError(
                    f"{name}: rule {r.name} names '{r.column}', not a column ({', '.join(names)})"
                )
            if r.kind == "matches":
                try:
                    re.compile(r.args[0])
                except re.error as exc:
                    raise DeclarationError(
                        f"{name}: rule {r.name}: the pattern {r.args[0]!r} is not a regular "
                        f"expression ({exc})"
                    ) from None
        if fail_above is not None and not 0 <= fail_above < 1:
            raise DeclarationError(f"{name}: fail_above is a share of rows, 0 ≤ x < 1 (0.05 = 5%)")
        _check_thresholds(name, rules)
        spec = TableSpec(
            name=name,
            layer="silver",
            columns=(*(c.column() for c in cols), *LINEAGE),
            version=self._version(name, version),
            description=description or f"{stem}: typed, validated, one live row per key.",
            key=tuple(key),
            partition_by=tuple(partition_by),
            zorder_by=tuple(zorder_by),
            no_dictionary=tuple(no_dictionary),
        )
        rejected = TableSpec(
            name=rejected_rows or f"quarantine/{stem}_rejected",
            layer="quarantine",
            columns=(
                *(c for c in from_.spec.columns if c.name not in {"_run_id"}),
                Column(
                    "rule", "string", "First validation rule the line failed (listed in the README)"
                ),
                Column("detail", "string", "What was wrong, in words"),
                Column("_run_id", "string", "Run that quarantined the line"),
            ),
            version="1.0.0",
            description=(
                "Landing lines that failed a silver validation rule, with the rule and lineage."
            ),
            key=("_source_hash", "_source_row"),
        )
        table = SilverTable(
            self,
            name,
            "silver",
            spec,
            step or f"silver_{stem}",
            from_=from_,
            declared=cols,
            derive=derived,
            rules=tuple(rules),
            rejected_rows=rejected,
            fail_above=fail_above,
            batch_rows=batch_rows,
        )
        return self._add(table)

    def gold(
        self,
        name: str,
        *,
        reads: Sequence[Table],
        columns: Sequence[Col],
        key: Sequence[str],
        version: str = "1.0.0",
        description: str = "",
        partition_by: Sequence[str] = (),
        zorder_by: Sequence[str] = (),
        mart: str | None = None,
        sql: str | None = None,
        step: str | None = None,
    ) -> Callable[[T], T]:
        """A business table recomputed from silver for the partitions silver changed, which are
        overwritten (never appended). Decorate `f(ctx, changed)` returning the rows of those
        partitions (a pyarrow Table), or pass `sql=` (tables by their stem, `{changed}` the
        changed partition values as a SQL list)."""
        stem = self._path(name, "gold")
        parts = name.split("/")
        if len(parts) != 3:
            raise DeclarationError(
                f"{name}: a gold table lives in a mart folder: gold/<mart>/<table>"
            )
        if mart is not None and mart != parts[1]:
            raise DeclarationError(f"{name}: mart='{mart}' but the path says mart '{parts[1]}'")
        cols = tuple(self._col(name, c) for c in columns)
        names = [c.name for c in cols]
        self._known(name, "key", key, names)
        self._known(name, "partition_by", partition_by, names)
        self._known(name, "zorder_by", zorder_by, names)
        read = tuple(reads)
        for t in read:
            if not isinstance(t, Table) or t.pipeline is not self:
                raise DeclarationError(f"{name}: reads= holds {t!r}, not a table of this pipeline")
        spec = TableSpec(
            name=name,
            layer="gold",
            columns=tuple(c.column() for c in cols),
            version=self._version(name, version),
            description=description or f"{stem} (mart {parts[1]}).",
            key=tuple(key),
            partition_by=tuple(partition_by),
            zorder_by=tuple(zorder_by),
            mart=parts[1],
        )
        table = GoldTable(self, name, "gold", spec, step or f"gold_{stem}", reads=read, sql=sql)
        self._add(table)

        def attach(compute: T) -> T:
            table.compute = compute
            doc = " ".join((compute.__doc__ or "").strip().split("\n\n")[0].split())
            if not description and doc:
                table.spec = _with_description(table.spec, doc)
            return compute

        return attach

    def table(
        self,
        name: str,
        *,
        columns: Sequence[Col],
        version: str = "1.0.0",
        description: str = "",
        key: Sequence[str] = (),
        partition_by: Sequence[str] = (),
        zorder_by: Sequence[str] = (),
    ) -> CustomTable:
        """A table a `@pipeline.step` writes (its layer from its path)."""
        layer = name.split("/", 1)[0]
        self._path(name, layer)
        cols = tuple(self._col(name, c) for c in columns)
        names = [c.name for c in cols]
        self._known(name, "key", key, names)
        self._known(name, "partition_by", partition_by, names)
        self._known(name, "zorder_by", zorder_by, names)
        mart = name.split("/")[1] if layer == "gold" and name.count("/") == 2 else None
        spec = TableSpec(
            name=name,
            layer=layer,
            columns=tuple(c.column() for c in cols),
            version=self._version(name, version),
            description=description,
            key=tuple(key),
            partition_by=tuple(partition_by),
            zorder_by=tuple(zorder_by),
            mart=mart,
        )
        return self._add(CustomTable(self, name, layer, spec, ""))

    def step(
        self,
        *,
        writes: Sequence[Table],
        reads: Sequence[Table] = (),
        name: str | None = None,
        description: str = "",
    ) -> Callable[[T], T]:
        """Any Python as a step: `f(ctx)` whose writes go through ctx.append / ctx.merge /
        ctx.overwrite (contract check, version stamp, leftovers, OPS-02 for silver and gold)."""

        def attach(run: T) -> T:
            step_name = name or run.__name__
            for t in writes:
                if not isinstance(t, CustomTable) or t.pipeline is not self:
                    raise DeclarationError(
                        f"step {step_name}: writes= holds {t!r}; declare what a step writes "
                        "with pipeline.table(...)"
                    )
                if t.step:
                    raise DeclarationError(
                        f"step {step_name}: {t.name} is already written by step {t.step}"
                    )
                t.step = step_name
            doc = description or (run.__doc__ or "").strip().split("\n")[0]
            self._custom.append(CustomStep(step_name, run, tuple(reads), tuple(writes), doc))
            return run

        return attach

    # -- what features read ---------------------------------------------------------------------

    @property
    def declared(self) -> Mapping[str, Table]:
        """Every declared table by name, in declaration order."""
        return dict(self._tables)

    def specs(self) -> dict[str, TableSpec]:
        """Every table the pipeline writes, quarantine tables included, by name."""
        out: dict[str, TableSpec] = {}
        for t in self._tables.values():
            out[t.name] = t.spec
            extra = getattr(t, "rejected_files", None) or getattr(t, "rejected_rows", None)
            if extra is not None:
                out[extra.name] = extra
        return out

    def readers_of(self, table: Table) -> list[Table]:
        """The declared tables computed from `table` (silver's gold tables, bronze's silver)."""
        out: list[Table] = []
        for t in self._tables.values():
            if (isinstance(t, SilverTable) and t.from_ is table) or (
                isinstance(t, GoldTable) and table in t.reads
            ):
                out.append(t)
        return out

    def steps(self) -> list[Step]:
        """The DAG (OPS-01), dependencies inferred from what each step reads and writes.
        Refuses a gold table with no compute, reads of tables no step writes, and (in
        core.dag.Pipeline) cycles and layers out of order."""
        writer = {t.name: t.step for t in self._tables.values()}
        steps: list[Step] = []
        for t in self._tables.values():
            if isinstance(t, CustomTable):
                if not t.step:
                    raise DeclarationError(
                        f"{t.name}: no step writes it; decorate a function with "
                        f"@{self.name}.step(writes=[...]) naming it, or remove the table"
                    )
                continue
            steps.append(self._block_step(t, writer))
        for custom in self._custom:
            layer = self._custom_layer(custom)
            deps = self._deps(custom.name, custom.reads, writer)
            outputs = tuple(t.name for t in custom.writes)
            steps.append(
                Step(custom.name, layer, _custom_runner(custom), deps, outputs, custom.description)
            )
        return steps

    # -- inside ---------------------------------------------------------------------------------

    def _block_step(self, t: Table, writer: Mapping[str, str]) -> Step:
        if isinstance(t, BronzeTable):
            outputs = (t.name,)
            return Step(
                t.step,
                Layer.BRONZE,
                _block_runner("bronze", t),
                (),
                outputs,
                f"Append new landing {t.source.format} files ({t.source.pattern}) to {t.name}",
                settles=True,
                also_writes=(t.rejected_files.name,) if t.rejected_files else (),
            )
        if isinstance(t, SilverTable):
            assert t.from_ is not None
            deps = self._deps(t.step, (t.from_,), writer)
            return Step(
                t.step,
                Layer.SILVER,
                _block_runner("silver", t),
                deps,
                (t.name,),
                f"Cast, validate (bad lines to quarantine), dedupe and MERGE into {t.name}",
                settles=True,
                also_writes=(t.rejected_rows.name,) if t.rejected_rows else (),
            )
        assert isinstance(t, GoldTable)
        if t.compute is None and t.sql is None:
            raise DeclarationError(
                f"{t.name}: say how it is computed: decorate a function with "
                f"@{self.name}.gold('{t.name}', ...) or pass sql='SELECT ...'"
            )
        self._check_gold_partitions(t)
        deps = self._deps(t.step, t.reads, writer)
        return Step(
            t.step,
            Layer.GOLD,
            _block_runner("gold", t),
            deps,
            (t.name,),
            f"Recompute {t.name} for the partitions its inputs changed",
            settles=True,
        )

    def _check_gold_partitions(self, t: GoldTable) -> None:
        """Gold is recomputed per partition silver changed: its first partition column must be
        one every silver table it reads is partitioned by."""
        for r in t.reads:
            if r.layer != "silver":
                raise DeclarationError(
                    f"{t.name}: a gold table reads silver tables; {r.name} is {r.layer} "
                    "(read it in a silver table first, or write a @step)"
                )
        if not t.spec.partition_by:
            return
        first = t.spec.partition_by[0]
        for r in t.reads:
            if first not in r.spec.partition_by:
                raise DeclarationError(
                    f"{t.name}: partitioned by {first}, but {r.name} is not; gold recomputes "
                    f"the partitions silver changed, so partition {r.name} by {first} too "
                    "(or leave gold unpartitioned: it is then recomputed whole)"
                )

    def _custom_layer(self, custom: CustomStep) -> Layer:
        layers = {t.layer for t in custom.writes if t.layer != "quarantine"}
        if len(layers) > 1:
            raise DeclarationError(
                f"step {custom.name} writes tables of {', '.join(sorted(layers))}: one layer "
                "per step (split it in two)"
            )
        return Layer(layers.pop()) if layers else Layer.SILVER

    def _deps(
        self, step: str, reads: Iterable[Table], writer: Mapping[str, str]
    ) -> tuple[str, ...]:
        deps: list[str] = []
        for t in reads:
            if not isinstance(t, Table) or t.pipeline is not self:
                raise DeclarationError(f"step {step}: reads {t!r}, not a table of this pipeline")
            source = writer.get(t.name)
            if not source:
                raise DeclarationError(f"step {step}: reads {t.name}, which no step writes")
            if source != step and source not in deps:
                deps.append(source)
        return tuple(deps)

    def _add(self, table: Any) -> Any:
        if table.name in self._tables:
            raise DeclarationError(f"{table.name} is declared twice: each table once")
        taken = {t.step for t in self._tables.values() if t.step}
        if table.step and table.step in taken:
            raise DeclarationError(
                f"{table.name}: step name '{table.step}' is already used; pass step='...'"
            )
        self._tables[table.name] = table
        return table

    def _path(self, name: str, layer: str) -> str:
        parts = name.split("/")
        if parts[0] not in LAYERS:
            raise DeclarationError(
                f"{name}: a table's path starts with its layer: bronze/, silver/ or gold/"
            )
        if parts[0] != layer:
            raise DeclarationError(
                f"{name}: declared as {layer} but its path says {parts[0]}; "
                f"name it {layer}/{parts[-1]}"
            )
        if len(parts) < 2 or not all(NAME.match(p) for p in parts[1:]):
            raise DeclarationError(
                f"{name}: each part after the layer is lowercase letters, digits and _"
            )
        return parts[-1]

    @staticmethod
    def _version(name: str, version: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+$", version):
            raise DeclarationError(f"{name}: version '{version}' is not MAJOR.MINOR.PATCH (OPS-06)")
        return version

    @staticmethod
    def _col(table: str, c: Col) -> Col:
        if not isinstance(c, Col):
            raise DeclarationError(f"{table}: columns= holds {c!r}; declare each with col(...)")
        if not NAME.match(c.name):
            raise DeclarationError(f"{table}: column '{c.name}' is not a lowercase_name")
        try:
            typed = normal_type(c.type)
        except TypeNameError as exc:
            raise DeclarationError(f"{table}: column {c.name}: {exc}") from None
        return Col(c.name, typed, c.description, c.invalid, c.problem)

    @staticmethod
    def _known(table: str, what: str, given: Sequence[str], names: Sequence[str]) -> None:
        if isinstance(given, str):
            raise DeclarationError(f"{table}: {what}= is a tuple of column names: ('{given}',)")
        unknown = [c for c in given if c not in names]
        if unknown:
            raise DeclarationError(
                f"{table}: {what} names {', '.join(unknown)}, not declared columns "
                f"({', '.join(names)})"
            )


def _with_description(spec: TableSpec, description: str) -> TableSpec:
    from dataclasses import replace

    return replace(spec, description=description)


def _block_runner(layer: str, table: Table) -> Callable[[StepContext], StepResult]:
    """The engine block that does this table's work (imported when the step runs: the
    console shows the DAG before its first screen without importing pyarrow)."""

    def run(ctx: StepContext) -> StepResult:
        import importlib

        from lakeconsole.core.engines import on_spark

        if on_spark(ctx.settings, table):  # LAKECONSOLE_SPARK_REMOTE (core/engines)
            block = importlib.import_module("lakeconsole.core.engines.spark")
        else:
            block = importlib.import_module(f"lakeconsole.core.blocks.{layer}")
        result: StepResult = block.run(ctx, table)
        return result

    return run


def _custom_runner(custom: CustomStep) -> Callable[[StepContext], StepResult]:
    def run(ctx: StepContext) -> StepResult:
        from lakeconsole.core.blocks.custom import run_custom

        return run_custom(ctx, custom)

    return run
