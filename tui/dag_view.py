"""The pipeline as its DAG: Bronze → Silver → Gold columns, one card per step."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

from lakeconsole.core.events import Layer, StepState
from lakeconsole.tui.run_view import RunView, StepView

ICONS = {
    StepState.IDLE: "○",
    StepState.QUEUED: "◌",
    StepState.RUNNING: "▶",
    StepState.SUCCEEDED: "✓",
    StepState.FAILED: "✗",
    StepState.SKIPPED: "⊘",
    StepState.CANCELLED: "■",
}


def count(n: int | None) -> str:
    """1234 → 1.2k: numbers that fit a narrow card."""
    if n is None:
        return "-"
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def seconds(s: float | None) -> str:
    if s is None:
        return ""
    if s < 60:
        return f"{s:.1f}s"
    minutes, rest = divmod(int(s), 60)
    return f"{minutes}m{rest:02d}s"


def state_text(step: StepView, now: float) -> str:
    word = "skipped" if step.state == StepState.SKIPPED else step.state.value
    took = seconds(step.elapsed(now))
    return f"{word} · {took}" if took else word


def detail_text(step: StepView) -> str:
    """Progress while running, records in and out when done, the reason when it did not run."""
    if step.state in (StepState.FAILED, StepState.SKIPPED) and step.note:
        return step.note
    if step.state == StepState.RUNNING:
        if step.total:
            return f"{count(step.done)}/{count(step.total)} {step.unit}"
        return f"{count(step.done)} {step.unit}" if step.done else "working…"
    if step.records_in is not None or step.records_out is not None:
        if step.records_in_unit == "rows":
            return f"in {count(step.records_in)} → out {count(step.records_out)}"
        # Gold counts dates in, rows out: a bare `in 90` read as 90 rows. Units instead of
        # in/out keep it inside a 20-column card at 80×24.
        return f"{count(step.records_in)} {step.records_in_unit} → {count(step.records_out)} rows"
    return ""


def _say(label: Label, text: str) -> None:
    """Update a label only when its text changes (an update re-lays out the card)."""
    if label.content != text:
        label.update(text)


class StepCard(Widget, can_focus=True):
    """One step: state, progress bar, records in and out, duration."""

    class Selected(Message):
        """The user moved to this step (focus or click): `f` runs from it."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, step: StepView) -> None:
        # Born with its state's class and texts: setting them after mount restyles every card
        # before the console's first frame (measured: ~20 ms of its start).
        super().__init__(
            id=f"step-{re.sub(r'[^A-Za-z0-9_-]', '_', step.name)}",
            classes=f"step-card -{step.state.value}",
        )
        self.step = step

    def compose(self) -> ComposeResult:
        yield Label(f"{ICONS[self.step.state]} {self.step.name}", classes="step-name")
        yield Label(state_text(self.step, 0.0), classes="step-state")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True)
        yield Label(detail_text(self.step), classes="step-detail")

    def on_mount(self) -> None:
        self.show(self.step, now=0.0)

    def show(self, step: StepView, now: float) -> None:
        """Render the step's current state (called on every event for it)."""
        self.step = step
        for state in StepState:
            self.set_class(step.state == state, f"-{state.value}")
        _say(self.query_one(".step-name", Label), f"{ICONS[step.state]} {step.name}")
        _say(self.query_one(".step-state", Label), state_text(step, now))
        detail = detail_text(step)
        _say(self.query_one(".step-detail", Label), detail)
        self.tooltip = (
            f"{step.name} ({step.layer.value}): {state_text(step, now)}\n{detail}".strip()
        )
        bar = self.query_one(ProgressBar)
        if step.state == StepState.SUCCEEDED:
            bar.update(total=1, progress=1)
        elif step.state == StepState.RUNNING and step.total:
            bar.update(total=step.total, progress=min(step.done, step.total))
        elif step.state in (StepState.IDLE, StepState.QUEUED):
            bar.update(total=1, progress=0)

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

    def __init__(self, view: RunView) -> None:
        super().__init__(id="dag")
        self.view = view
        self.selected: str | None = None  # a layer or step name, for "run from here"
        self.cards: dict[str, StepCard] = {}

    def compose(self) -> ComposeResult:
        for i, (layer, steps) in enumerate(self.view.by_layer().items()):
            if i:
                yield Static("→", classes="arrow")
            cards = [StepCard(step) for step in steps]
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

    def on_step_card_selected(self, message: StepCard.Selected) -> None:
        self.selected = message.target
        for widget in self.query(".step-card, .layer"):
            target = (
                widget.step.name
                if isinstance(widget, StepCard)
                else getattr(widget, "lake_layer", "")
            )
            widget.set_class(target == message.target, "-selected")
