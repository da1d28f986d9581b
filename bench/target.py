"""Which shipped pipeline the benchmark runs (`--pipeline`): its demo generator, its landing
files, the setting that points lakeconsole at it and the step its console shows first."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "sales"  # the pipeline lakeconsole runs when LAKECONSOLE_PIPELINE is unset


def shipped() -> list[str]:
    """The pipelines shipped in pipelines/ (each a package declaring `pipeline`)."""
    return sorted(p.parent.name for p in (REPO / "pipelines").glob("*/__init__.py"))


@dataclass(frozen=True)
class Target:
    """One shipped pipeline, as the benchmark needs it."""

    name: str
    pattern: str  # the landing glob of its bronze table, e.g. "events_*.jsonl"
    format: str  # csv, jsonl or parquet
    first_step: str  # the first step card the console's dashboard draws

    @property
    def setting(self) -> dict[str, str]:
        """What the scratch project's .env says to run it; nothing for the default, so the
        sales figures are taken exactly as before this option existed."""
        if self.name == DEFAULT:
            return {}
        return {"LAKECONSOLE_PIPELINE": f"lakeconsole.pipelines.{self.name}:pipeline"}

    @property
    def increment_prefix(self) -> str:
        """A file-name prefix the landing glob matches but no demo file has: "increment" for
        "*.csv", "events_increment" for "events_*.jsonl"."""
        return self.pattern.split("*", 1)[0] + "increment"

    def demo(self) -> Callable[..., Any]:
        """The demo generator, as `lakeconsole demo` resolves it."""
        from lakeconsole.cli.demo import demo_of

        found = demo_of(_declared(self.name))
        if found is None:
            raise SystemExit(f"pipeline {self.name!r} has no demo generator to benchmark with")
        return found


def target(name: str = DEFAULT) -> Target:
    """The benchmark's view of the shipped pipeline `name`."""
    from lakeconsole.core.api import BronzeTable

    declared = _declared(name)
    bronze = [t for t in declared.declared.values() if isinstance(t, BronzeTable)]
    if len(bronze) != 1:
        raise SystemExit(f"pipeline {name!r}: the benchmark expects one bronze table")
    steps = declared.steps()
    return Target(
        name=name,
        pattern=bronze[0].source.pattern,
        format=bronze[0].source.format,
        first_step=steps[0].name,
    )


def _declared(name: str) -> Any:
    if name not in shipped():
        raise SystemExit(f"--pipeline {name}: not a shipped pipeline ({', '.join(shipped())})")
    return importlib.import_module(f"lakeconsole.pipelines.{name}").pipeline
