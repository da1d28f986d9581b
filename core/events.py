"""What the engine says while it works. The CLI prints these; the console renders them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Layer(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class StepState(StrEnum):
    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Recorded as running by a process that no longer exists (killed, power cut).
    ABORTED = "aborted"


@dataclass(frozen=True)
class Event:
    run_id: str
    at: float  # epoch seconds


@dataclass(frozen=True)
class RunStarted(Event):
    steps: tuple[str, ...]
    layers: dict[str, Layer]


@dataclass(frozen=True)
class StepStarted(Event):
    step: str
    layer: Layer
    engine: str = "local"  # or "spark sc://host:port" (core/engines)


@dataclass(frozen=True)
class StepProgress(Event):
    step: str
    done: int
    total: int | None
    unit: str  # "rows" or "files"
    message: str = ""


@dataclass(frozen=True)
class StepFinished(Event):
    step: str
    layer: Layer
    records_in: int
    records_out: int
    duration_s: float
    details: dict[str, Any] = field(default_factory=dict)
    records_in_unit: str = "rows"  # what records_in counts (StepResult.records_in_unit)


@dataclass(frozen=True)
class StepFailed(Event):
    step: str
    layer: Layer
    error: str
    duration_s: float
    detail: str = ""  # the rest of a multi-line message (e.g. a schema diff), if any


@dataclass(frozen=True)
class StepSkipped(Event):
    step: str
    layer: Layer
    reason: str  # e.g. "upstream failed: bronze_ingest"


@dataclass(frozen=True)
class StepCancelled(Event):
    step: str
    layer: Layer


@dataclass(frozen=True)
class RunFinished(Event):
    status: RunStatus
    records_processed: int
    latency_s: float | None
    error: str | None = None
    # Files that could not be ingested, quarantined rows, ...: what the user should look at.
    warnings: tuple[str, ...] = ()


EventSink = Callable[[Event], None]
