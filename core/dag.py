"""A pipeline is a DAG of steps, each in a layer (OPS-01). Checked when loaded, not when run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeconsole.core.events import Layer
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, table_exists

LAYER_ORDER = (Layer.BRONZE, Layer.SILVER, Layer.GOLD)


class PipelineError(Exception):
    """The pipeline definition or a selection of it is wrong; the message says how."""


class Cancelled(Exception):
    """Raised at a safe point when the user asked to stop."""


@dataclass
class StepResult:
    """What a step did. `landing_rows` counts rows read from landing files (the heartbeat's N).
    `settled`: the step left nothing for a re-run to do or to say again (no file left for
    later, no warning that every run repeats), so a re-run on the same lake may be skipped."""

    records_in: int = 0
    records_out: int = 0
    landing_rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    settled: bool = False
    # What records_in counts (records out are always table rows): a gold step reads the dates
    # it recomputes, so its "in 90" would read as 90 rows without it.
    records_in_unit: str = "rows"


@dataclass
class StepContext:
    """Handed to a step: where the lake is, which run this is, how to report and stop."""

    settings: Settings
    run_id: str
    step: str
    report: Callable[[int, int | None, str, str], None]
    cancel_event: threading.Event

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def progress(
        self, done: int, total: int | None = None, unit: str = "rows", message: str = ""
    ) -> None:
        self.report(done, total, unit, message)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Call at safe points (before a commit, between batches): stops the step if asked."""
        if self.cancel_event.is_set():
            raise Cancelled(self.step)


@dataclass(frozen=True)
class Step:
    """One unit of work. `outputs` are table paths relative to the data dir that it writes."""

    name: str
    layer: Layer
    run: Callable[[StepContext], StepResult]
    depends_on: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    description: str = ""
    # True for the engine's blocks: what they do depends on the lake, the code and the settings
    # alone, so a run may skip one that found nothing to do while none of those changed
    # (core/quiet_marks.py). A custom step may read the outside world: it always runs.
    settles: bool = False
    # Tables it writes besides its outputs (a block's quarantine and rejected-files tables).
    also_writes: tuple[str, ...] = ()

    @property
    def writes(self) -> tuple[str, ...]:
        """Every table the step writes: its outputs, then its quarantine and rejected files."""
        return (*self.outputs, *self.also_writes)

    def is_built(self, data_dir: LakePath) -> bool:
        """True when every table this step writes exists (has a Delta log)."""
        return all(table_exists(data_dir / out) for out in self.outputs)


class Pipeline:
    """Steps in a validated, topologically sorted order."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps: dict[str, Step] = {}
        for step in steps:
            if step.name in self.steps:
                raise PipelineError(f"Two steps are named '{step.name}': step names must be unique")
            self.steps[step.name] = step
        self._check_dependencies()
        self.order: list[str] = self._topological_order()

    def _check_dependencies(self) -> None:
        for step in self.steps.values():
            unknown = [d for d in step.depends_on if d not in self.steps]
            if unknown:
                raise PipelineError(
                    f"Step '{step.name}' depends on unknown step(s): {', '.join(unknown)}. "
                    f"Known steps: {', '.join(self.steps)}"
                )
            for dep in step.depends_on:
                if LAYER_ORDER.index(self.steps[dep].layer) > LAYER_ORDER.index(step.layer):
                    raise PipelineError(
                        f"Step '{step.name}' ({step.layer}) depends on '{dep}' "
                        f"({self.steps[dep].layer}): layers run bronze → silver → gold"
                    )

    def _topological_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, str] = {}  # "visiting" | "done"

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                cycle = [*path[path.index(name) :], name]
                raise PipelineError(f"The pipeline has a cycle: {' → '.join(cycle)}")
            state[name] = "visiting"
            for dep in self.steps[name].depends_on:
                visit(dep, [*path, name])
            state[name] = "done"
            order.append(name)

        # Visit layer by layer so the order reads bronze, silver, gold where the DAG allows.
        for layer in LAYER_ORDER:
            for name, step in self.steps.items():
                if step.layer == layer:
                    visit(name, [])
        return order

    def upstream(self, name: str) -> set[str]:
        """Every step `name` depends on, directly or not."""
        seen: set[str] = set()
        stack = list(self.steps[name].depends_on)
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self.steps[dep].depends_on)
        return seen

    def downstream(self, name: str) -> set[str]:
        """Every step that depends on `name`, directly or not."""
        return {other for other in self.steps if name in self.upstream(other)}

    def select(self, start: str | None = None, only: str | None = None) -> list[str]:
        """The steps to run, in order: all, from a layer or step onwards, or one step."""
        if start and only:
            raise PipelineError("Use either --from or --only, not both")
        if only:
            self._require_step(only)
            return [only]
        if not start:
            return list(self.order)
        if start in {layer.value for layer in LAYER_ORDER}:
            first = [n for n in self.order if self.steps[n].layer == start]
            if not first:
                raise PipelineError(f"The pipeline has no {start} step")
        else:
            self._require_step(start)
            first = [start]
        chosen = set(first)
        for name in first:
            chosen |= self.downstream(name)
        return [n for n in self.order if n in chosen]

    def missing_upstream(self, selected: list[str], data_dir: LakePath) -> list[str]:
        """Steps outside the selection whose tables the selection needs but were never built."""
        needed: set[str] = set()
        for name in selected:
            needed |= self.upstream(name)
        return [
            n
            for n in self.order
            if n in needed - set(selected) and not self.steps[n].is_built(data_dir)
        ]

    def _require_step(self, name: str) -> None:
        if name not in self.steps:
            raise PipelineError(
                f"No step or layer named '{name}'. Steps: {', '.join(self.order)}; "
                f"layers: bronze, silver, gold"
            )
