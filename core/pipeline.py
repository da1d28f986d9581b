"""The one loaded pipeline that every feature asks: its steps, its tables, its hooks.

`LAKECONSOLE_PIPELINE` names it: `module:attr`, where attr is a `lakeconsole.Pipeline` (the
pipeline API, core.api) or a function returning one; or a name registered in the
`lakeconsole.pipelines` entry-point group that resolves to one
(`[project.entry-points."lakeconsole.pipelines"] shop = "shop.pipeline:shop"`). A bare module
name means its attribute `pipeline`. The project folder (where `.env` is) goes on sys.path
first, so a module kept next to `.env` imports.

A declared pipeline tells the features everything (tables, landing status, state checks) through
the engine's blocks. The older shape, a function returning a list of core.dag.Step, still loads:
next to it a module may define `TABLES` (name → TableSpec, or a list of TableSpecs),
`landing_waiting(settings)`, `landing_rejected(settings)` and `check_findings(settings)`.
Only this module reads a pipeline module's attributes. Loading imports no pyarrow (the console
shows the pipeline before its first screen).
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lakeconsole.core.api import Pipeline as Declared
from lakeconsole.core.dag import Pipeline, PipelineError, Step
from lakeconsole.core.settings import DEFAULT_PIPELINE, Settings
from lakeconsole.core.tables import TableSpec, marts_of

if TYPE_CHECKING:
    from lakeconsole.core.governance import Finding

log = logging.getLogger("lakeconsole.pipeline")

ENTRY_POINT_GROUP = "lakeconsole.pipelines"
DEFAULT_ATTR = "pipeline"  # `LAKECONSOLE_PIPELINE=shop.pipeline` means shop.pipeline:pipeline
LEGACY_ATTR = "steps"  # the older default: a function returning the steps
TABLES_ATTR = "TABLES"
WAITING_HOOK = "landing_waiting"
REJECTED_HOOK = "landing_rejected"
CHECK_HOOK = "check_findings"
HOW_TO_NAME = "LAKECONSOLE_PIPELINE=module:attr"


@dataclass(frozen=True)
class Hooks:
    """What a pipeline module can tell the features beyond its steps (None: it cannot)."""

    waiting: Callable[[Settings], set[str]] | None = None
    rejected: Callable[[Settings], dict[str, str]] | None = None
    check: Callable[[Settings], list[Finding]] | None = None


class LoadedPipeline(Pipeline):
    """The validated DAG of steps plus what the pipeline declares about its tables."""

    def __init__(
        self,
        source: str,
        steps: list[Step],
        read_tables: Callable[[], Mapping[str, TableSpec]],
        hooks: Hooks,
        declared: Declared | None = None,
    ) -> None:
        super().__init__(steps)
        self.source = source  # module:attr it was loaded from, for messages
        self.declared = declared  # the declaration, when written with the pipeline API
        self._read_tables = read_tables
        self._hooks = hooks

    @property
    def name(self) -> str:
        """The pipeline's name (its state folder); bare steps are named by their module."""
        return self.declared.name if self.declared else self.source.split(":")[0]

    @cached_property
    def tables(self) -> Mapping[str, TableSpec]:
        """Every declared table by name (its path under the data dir); {} when none are."""
        return self._read_tables()

    def table(self, name: str) -> TableSpec | None:
        """The declaration of one table (key, zorder_by, partition_by, mart, version...)."""
        return self.tables.get(name.strip("/"))

    def marts(self) -> dict[str, list[TableSpec]]:
        """Gold marts and their declared tables, e.g. {"sales": [daily_revenue]}."""
        return marts_of(dict(self.tables))

    def landing_waiting(self, settings: Settings) -> set[str] | None:
        """Landing files not ingested yet (names under the landing folder); None: cannot say."""
        return self._hooks.waiting(settings) if self._hooks.waiting else None

    def landing_rejected(self, settings: Settings) -> dict[str, str] | None:
        """Landing files the pipeline refused, with why; None: it cannot say."""
        return self._hooks.rejected(settings) if self._hooks.rejected else None

    def check_findings(self, settings: Settings) -> list[Finding]:
        """The pipeline's own `lakeconsole check` findings (e.g. state ahead of its table)."""
        return list(self._hooks.check(settings)) if self._hooks.check else []


_loaded: dict[tuple[str, Path | None], LoadedPipeline] = {}
_lock = threading.Lock()


# What .env files written before issue 14 name: the sales pipeline moved to pipelines/sales.
RENAMED = {
    "core.sales.steps:sales_steps": DEFAULT_PIPELINE,
    "core.sales.definition:sales_steps": DEFAULT_PIPELINE,
}


def load_pipeline(settings: Settings | None = None) -> LoadedPipeline:
    """The pipeline the settings name (default: the sales lakehouse), loaded once per process.

    Raises PipelineError, whose message says how to fix it."""
    spec = settings.pipeline if settings is not None else DEFAULT_PIPELINE
    spec = RENAMED.get(spec.replace(" ", ""), spec)
    home = settings.home if settings is not None else None
    with _lock:
        if (spec, home) not in _loaded:
            _loaded[(spec, home)] = _load(spec, home)
        return _loaded[(spec, home)]


def loaded_or_none(settings: Settings) -> LoadedPipeline | None:
    """The pipeline, or None when it does not load (the console and check say why elsewhere)."""
    try:
        return load_pipeline(settings)
    except PipelineError as exc:
        log.warning("%s", exc)
        return None


def forget_loaded() -> None:
    """Load again at the next ask (tests that rewrite a pipeline module)."""
    with _lock:
        _loaded.clear()


def _load(spec: str, home: Path | None) -> LoadedPipeline:
    if home is not None and str(home) not in sys.path:
        sys.path.insert(0, str(home))
    try:
        module_name, attr = _resolve(spec)
        importlib.invalidate_caches()  # a module written since the process started
        module = _import(module_name, home)
        found = _declared_or_steps(module, attr)
        if isinstance(found, Declared):
            steps = found.steps()
    except PipelineError as exc:
        raise PipelineError(f"Cannot load the pipeline '{spec}': {exc}") from None
    source = f"{module_name}:{attr or DEFAULT_ATTR}"
    if isinstance(found, Declared):
        return _from_declaration(source, found, steps)
    hooks = Hooks(
        waiting=getattr(module, WAITING_HOOK, None),
        rejected=getattr(module, REJECTED_HOOK, None),
        check=getattr(module, CHECK_HOOK, None),
    )
    return LoadedPipeline(source, found, lambda: _declared_tables(module), hooks)


def _from_declaration(source: str, declared: Declared, steps: list[Step]) -> LoadedPipeline:
    """The engine answers for a declared pipeline: its tables, landing status and checks."""

    def waiting(settings: Settings) -> set[str]:
        from lakeconsole.core.blocks.landing_status import waiting_files

        return waiting_files(settings, declared)

    def rejected(settings: Settings) -> dict[str, str]:
        from lakeconsole.core.blocks.landing_status import rejected_files

        return rejected_files(settings, declared)

    def check(settings: Settings) -> list[Finding]:
        from lakeconsole.core.blocks.state_check import state_findings

        return state_findings(settings, declared)

    hooks = Hooks(waiting=waiting, rejected=rejected, check=check)
    return LoadedPipeline(source, steps, declared.specs, hooks, declared)


def _declared_or_steps(module: ModuleType, attr: str | None) -> Declared | list[Step]:
    """The module's Pipeline (or what its function returns): a declaration or bare steps."""
    names = [attr] if attr else [DEFAULT_ATTR, LEGACY_ATTR]
    found = next((getattr(module, n) for n in names if hasattr(module, n)), None)
    source = f"{module.__name__}:{attr or DEFAULT_ATTR}"
    if found is None:
        raise PipelineError(
            f"{module.__name__} has no attribute '{attr or DEFAULT_ATTR}'. Name the Pipeline "
            f"it declares: {HOW_TO_NAME}"
        )
    if isinstance(found, Declared):
        return found
    if not callable(found):
        raise PipelineError(
            f"{source} is a {type(found).__name__}, not a lakeconsole.Pipeline: {HOW_TO_NAME}"
        )
    try:
        made = found()
    except PipelineError:
        raise
    except Exception as exc:
        raise PipelineError(f"{source} failed: {type(exc).__name__}: {exc}") from None
    if isinstance(made, Declared):
        return made
    if not isinstance(made, list) or not all(isinstance(s, Step) for s in made):
        raise PipelineError(
            f"{source} must be a lakeconsole.Pipeline or return one (or a list of "
            f"core.dag.Step), not {type(made).__name__}"
        )
    return made


def _resolve(spec: str) -> tuple[str, str | None]:
    """(module, attr) from `module:attr`, or from an entry point of that name (attr None:
    the module's `pipeline`, or its older `steps`)."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        return module_name.strip(), attr.strip() or None
    from importlib.metadata import entry_points  # 30 ms: only for a bare name

    for point in entry_points(group=ENTRY_POINT_GROUP, name=spec):
        return point.module, point.attr or None
    return spec, None


def _import(module_name: str, home: Path | None) -> ModuleType:
    where = f" from {home}" if home is not None else ""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name + ".").startswith(exc.name + "."):
            file = module_name.replace(".", "/") + ".py"
            folder = home if home is not None else Path.cwd()
            raise PipelineError(
                f"cannot import '{module_name}'{where}: put {file} in {folder} or install it "
                f"(pip install -e .); {HOW_TO_NAME}"
            ) from None
        raise PipelineError(
            f"its module '{module_name}' imports '{exc.name}', which is not installed: "
            "pip install it in lakeconsole's environment"
        ) from None
    except PipelineError as exc:  # a declaration refused at import: its message has the fix
        raise PipelineError(f"{module_name}: {exc}") from None
    except Exception as exc:  # a syntax error or a failing line in the user's module
        raise PipelineError(
            f"cannot import '{module_name}'{where}: {type(exc).__name__}: {exc}"
        ) from None


def _declared_tables(module: ModuleType) -> dict[str, TableSpec]:
    """The module's `TABLES` by table name; a value that is not a TableSpec is refused."""
    raw: Any = getattr(module, TABLES_ATTR, None)
    if raw is None:
        return {}
    specs: Iterable[Any] = raw.values() if isinstance(raw, Mapping) else raw
    out: dict[str, TableSpec] = {}
    for spec in specs:
        if not isinstance(spec, TableSpec):
            raise PipelineError(
                f"{module.__name__}.{TABLES_ATTR} holds a {type(spec).__name__}, not a "
                "TableSpec: declare each table with core.tables.TableSpec"
            )
        out[spec.name.strip("/")] = spec
    return out
