"""The pipeline as its DAG: Bronze → Silver → Gold columns, one card per step."""

from __future__ import annotations

import re

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

from lakeconsole.core.events import Layer, StepState
from lakeconsole.core.table_facts import TableFacts
from lakeconsole.tui.card_text import (
    count,
    detail_text,
    quarantine_text,
    seconds,
    state_text,
    table_text,
)
from lakeconsole.tui.run_view import RunView, StepView

__all__ = ["DagView", "LayerColumn", "StepCard", "count", "detail_text", "seconds", "state_text"]

ICONS = {
    StepState.IDLE: "○",
    StepState.QUEUED: "◌",
    StepState.RUNNING: "▶",
    StepState.SUCCEEDED: "✓",
    StepState.FAILED: "✗",
    StepState.SKIPPED: "⊘",
    StepState.CANCELLED: "■",
}


def _say(label: Label, text: str) -> None:
    """Update a label only when its text changes (an update re-lays out the card)."""
    if label.content != text:
        label.update(text)


class StepCard(Widget, can_focus=True):
    """One step: state, progress bar, records in and out (throughput while it runs), quarantined
    rows, and each table it writes (version, rows, last commit)."""

    class Selected(Message):
        """The user moved to this step (focus or click): `f` runs from it."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, step: StepView, outputs: tuple[str, ...] = ()) -> None:
        # Born with its state's class and texts: setting them after mount restyles every card
        # before the console's first frame (measured: ~20 ms of its start).
        super().__init__(
            id=f"step-{re.sub(r'[^A-Za-z0-9_-]', '_', step.name)}",
            classes=f"step-card -{step.state.value}",
        )
        self.step = step
        self.outputs = outputs
        self.tables: dict[str, TableFacts] = {}
        self.now = 0.0

    def compose(self) -> ComposeResult:
        yield Label(f"{ICONS[self.step.state]} {self.step.name}", classes="step-name")
        yield Label(state_text(self.step, 0.0), classes="step-state")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True)
        yield Label(detail_text(self.step), classes="step-detail")
        yield Label(quarantine_text(self.step), classes="step-quarantined")
        for name in self.outputs:
            yield Label("", classes="step-table", name=name)

    def on_mount(self) -> None:
        self.show(self.step, now=0.0)

    @property
    def width(self) -> int | None:
        """Columns a line may take; None before the first layout (then the long forms)."""
        return self.content_size.width or None

    def show(self, step: StepView, now: float) -> None:
        """Render the step's current state (called on every event for it)."""
        self.step, self.now = step, now
        for state in StepState:
            self.set_class(step.state == state, f"-{state.value}")
        _say(self.query_one(".step-name", Label), f"{ICONS[step.state]} {step.name}")
        _say(self.query_one(".step-state", Label), state_text(step, now))
        detail = detail_text(step, self.width)
        detail_label = self.query_one(".step-detail", Label)
        _say(detail_label, detail)
        detail_label.display = bool(detail)  # an idle card gives the row to the log
        quarantine = self.query_one(".step-quarantined", Label)
        _say(quarantine, quarantine_text(step))
        quarantine.display = step.quarantined is not None
        quarantine.set_class(bool(step.quarantined), "-some")
        said = [f"{step.name} ({step.layer.value}): {state_text(step, now)}", detail_text(step)]
        said.append(quarantine_text(step))
        said += [table_text(f, now, named=True) for f in self.tables.values()]
        self.tooltip = "\n".join(line for line in said if line)
        bar = self.query_one(ProgressBar)
        if step.state == StepState.SUCCEEDED:
            bar.update(total=1, progress=1)
        elif step.state == StepState.RUNNING and step.total:
            bar.update(total=step.total, progress=min(step.done, step.total))
        elif step.state in (StepState.IDLE, StepState.QUEUED):
            bar.update(total=1, progress=0)
        self.show_tables(self.tables, now)

    def show_tables(self, tables: dict[str, TableFacts], now: float) -> None:
        """The tables it writes, as last read from the lake; the ages as of `now`."""
        self.tables = {n: tables.get(n, TableFacts(n)) for n in self.outputs}
        named = len(self.outputs) > 1
        for label in self.query(".step-table").results(Label):
            facts = self.tables[str(label.name)]
            _say(label, table_text(facts, now, self.width, named))
            label.set_class(facts.error is not None, "-unreadable")

    def on_resize(self, event: events.Resize) -> None:
        # The long or the short forms of the lines: they depend on the card's width.
        self.show(self.step, self.now)

    def on_focus(self) -> None:
        self.post_message(self.Selected(self.step.name))

    @property
    def state(self) -> StepState:
        return self.step.state


class LayerColumn(VerticalScroll, can_focus=True):
    """A layer's steps under its name; selecting the column means 'from this layer'."""

    def __init__(self, layer: Layer, cards: list[StepCard]) -> None:
        super().__init__(id=f"layer-{layer.value}", classes="layer")
        self.lake_layer = layer
        self.cards = cards
        self.border_title = layer.value.capitalize()

    def compose(self) -> ComposeResult:
        yield from self.cards
        if not self.cards:
            yield Label("no steps", classes="empty")

    def on_focus(self) -> None:
        self.post_message(StepCard.Selected(self.lake_layer.value))


class DagView(Horizontal):
    """Bronze → Silver → Gold, updated in place as events arrive."""

    def __init__(self, view: RunView, outputs: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(id="dag")
        self.view = view
        self.outputs = outputs or {}  # step → the tables it writes
        self.selected: str | None = None  # a layer or step name, for "run from here"
        self.cards: dict[str, StepCard] = {}

    def compose(self) -> ComposeResult:
        for i, (layer, steps) in enumerate(self.view.by_layer().items()):
            if i:
                yield Static("→", classes="arrow")
            cards = [StepCard(step, self.outputs.get(step.name, ())) for step in steps]
            self.cards.update((card.step.name, card) for card in cards)
            yield LayerColumn(layer, cards)

    def card(self, name: str) -> StepCard | None:
        return self.cards.get(name)

    def refresh_steps(self, now: float, names: list[str] | None = None) -> None:
        """Re-render the given steps (all when None)."""
        for name in names if names is not None else list(self.view.steps):
            card = self.card(name)
            if card is not None:
                card.show(self.view.steps[name], now)

    def show_tables(self, tables: dict[str, TableFacts], now: float) -> None:
        """Every card's tables, as last read from the lake."""
        for card in self.cards.values():
            card.show_tables(tables, now)

    def on_step_card_selected(self, message: StepCard.Selected) -> None:
        self.selected = message.target
        for widget in self.query(".step-card, .layer"):
            target = (
                widget.step.name
                if isinstance(widget, StepCard)
                else getattr(widget, "lake_layer", "")
            )
            widget.set_class(target == message.target, "-selected")
