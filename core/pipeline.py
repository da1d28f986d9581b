"""The one loaded pipeline that every feature asks: its steps, its tables, its hooks.

`LAKECONSOLE_PIPELINE` names it: `module:function` (a function returning the list of Steps),
or a name registered in the `lakeconsole.pipelines` entry-point group that resolves to one
(`[project.entry-points."lakeconsole.pipelines"] shop = "shop.pipeline:steps"`). The project
folder (where `.env` is) goes on sys.path first, so a module kept next to `.env` imports.

Only this module reads a pipeline module's attributes. Next to its steps function a module may
define `TABLES` (name → TableSpec, or a list of TableSpecs), `landing_waiting(settings)`,
`landing_rejected(settings)` and `check_findings(settings)`; every one is optional.
Loading imports no pyarrow (the console shows the pipeline before its first screen): the
tables are read the first time a feature asks for them.
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

from core.dag import Pipeline, PipelineError, Step
from core.settings import DEFAULT_PIPELINE, Settings
from core.tables import TableSpec, marts_of

if TYPE_CHECKING:
    from core.governance import Finding

log = logging.getLogger("lakeconsole.pipeline")

ENTRY_POINT_GROUP = "lakeconsole.pipelines"
DEFAULT_FUNCTION = "steps"  # `LAKECONSOLE_PIPELINE=shop.pipeline` means shop.pipeline:steps
TABLES_ATTR = "TABLES"
WAITING_HOOK = "landing_waiting"
REJECTED_HOOK = "landing_rejected"
CHECK_HOOK = "check_findings"
HOW_TO_NAME = "LAKECONSOLE_PIPELINE=module:function"


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
    ) -> None:
        super().__init__(steps)
        self.source = source  # module:function it was loaded from, for messages
        self._read_tables = read_tables
        self._hooks = hooks

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


def load_pipeline(settings: Settings | None = None) -> LoadedPipeline:
    """The pipeline the settings name (default: the sales lakehouse), loaded once per process.

    Raises PipelineError, whose message says how to fix it."""
    spec = settings.pipeline if settings is not None else DEFAULT_PIPELINE
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
        module_name, function_name = _resolve(spec)
        importlib.invalidate_caches()  # a module written since the process started
        module = _import(module_name, home)
        steps = _steps(module, function_name)
    except PipelineError as exc:
        raise PipelineError(f"Cannot load the pipeline '{spec}': {exc}") from None
    hooks = Hooks(
        waiting=getattr(module, WAITING_HOOK, None),
        rejected=getattr(module, REJECTED_HOOK, None),
        check=getattr(module, CHECK_HOOK, None),
    )
    return LoadedPipeline(
        f"{module_name}:{function_name}", steps, lambda: _declared_tables(module), hooks
    )


def _steps(module: ModuleType, function_name: str) -> list[Step]:
    source = f"{module.__name__}:{function_name}"
    factory = getattr(module, function_name, None)
    if not callable(factory):
        raise PipelineError(
            f"{module.__name__} has no function '{function_name}'. Name the function that "
            f"returns the steps: {HOW_TO_NAME}"
        )
    try:
        steps = factory()
    except Exception as exc:
        raise PipelineError(f"{source} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(steps, list) or not all(isinstance(s, Step) for s in steps):
        raise PipelineError(
            f"{source} must return a list of core.dag.Step, not {type(steps).__name__}"
        )
    return steps


def _resolve(spec: str) -> tuple[str, str]:
    """(module, function) from `module:function`, or from an entry point of that name."""
    if ":" in spec:
        module_name, _, function_name = spec.partition(":")
        return module_name.strip(), function_name.strip() or DEFAULT_FUNCTION
    from importlib.metadata import entry_points  # 30 ms: only for a bare name

    for point in entry_points(group=ENTRY_POINT_GROUP, name=spec):
        return point.module, point.attr or DEFAULT_FUNCTION
    return spec, DEFAULT_FUNCTION


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
