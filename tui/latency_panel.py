"""The dashboard's latency panel: end-to-end latency of recent runs as a chart, or each step's
time stacked per run (the dashboard's step-times key toggles them). The numbers come from
core/run_trends.py, the pictures from tui/charts.py; this widget only sizes and titles them."""

from __future__ import annotations

import statistics

from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from lakeconsole.core.run_trends import (
    LatencyPoint,
    RunSteps,
    StepGrowth,
    latency_trend,
    step_durations,
    step_that_grew,
)
from lakeconsole.core.runs import RunRecord
from lakeconsole.tui.charts import PALETTE, latency_chart, stacked_steps_chart
from lakeconsole.tui.dag_view import seconds
from lakeconsole.tui.keys import key_of

LATENCY_RUNS = 30  # how many recent runs the charts show


class LatencyChart(Widget):
    """End-to-end latency (start of bronze to end of gold) of recent runs as a chart with a
    time axis and a scale in seconds; or, toggled, each step's time stacked per run. Drawn for
    the size it has, so any layout of the dashboard gets a whole chart."""

    show_steps: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.points: list[LatencyPoint] = []
        self.trend: list[RunSteps] = []
        self.grew: StepGrowth | None = None

    def on_mount(self) -> None:
        self.watch_show_steps(self.show_steps)

    def show(self, runs: list[RunRecord]) -> None:
        """The runs of the history (newest first, as loaded)."""
        self.points = latency_trend(runs, LATENCY_RUNS)
        self.trend = step_durations(runs, LATENCY_RUNS)
        self.grew = step_that_grew(self.trend)
        self.watch_show_steps(self.show_steps)

    def watch_show_steps(self, steps: bool) -> None:
        # The key as bound now, in the corner as auto-run's is: the footer is full at 80 columns.
        other = "latency" if steps else "steps"
        self.border_subtitle = f"{key_of(self.screen, 'toggle_step_times')}: {other}"
        if steps:
            grew = f" · ↑{self.grew.step}" if self.grew else ""
            self.border_title = f"Steps{grew}"
        else:
            last = f" · {seconds(self.points[-1].latency_s)}" if self.points else ""
            self.border_title = f"Latency{last}"
        self.tooltip = self.describe()
        self.refresh()

    def describe(self) -> str | None:
        """In words what the chart shows, for the tooltip."""
        if self.show_steps:
            if not self.trend:
                return None
            last = ", ".join(f"{name} {seconds(took)}" for name, took in self.trend[-1].steps)
            lines = [f"Each step's time in the last {len(self.trend)} succeeded runs.", last]
            if self.grew:
                lines.append(
                    f"{self.grew.step} grew most: {seconds(self.grew.last_s)}, "
                    f"usually {seconds(self.grew.usual_s)}"
                )
            return "\n".join(lines)
        if not self.points:
            return None
        values = [p.latency_s for p in self.points]
        return (
            f"End-to-end latency of the last {len(values)} succeeded runs: last "
            f"{seconds(values[-1])}, median {seconds(statistics.median(values))}"
        )

    def render(self) -> RenderResult:
        width, height = self.content_size
        if self.show_steps:
            return stacked_steps_chart(self.trend, width, height, self.palette())
        return latency_chart(self.points, width, height, newest_style=accent(self))

    def palette(self) -> list[str]:
        """The theme's colours for the steps, so every theme (and NO_COLOR) is respected; not its
        error colour, which would read as a failed step."""
        colours = self.app.theme_variables
        names = ("primary", "warning", "success", "accent", "secondary")
        return [colours[n] for n in names if n in colours] or list(PALETTE)


class LatencyTrend(Widget):
    """The latency chart alone, drawn for the widget's size (the maintenance view's)."""

    points: reactive[tuple[LatencyPoint, ...]] = reactive(())

    def render(self) -> RenderResult:
        width, height = self.content_size
        return latency_chart(self.points, width, height, newest_style=accent(self))


def accent(widget: Widget) -> str:
    """The newest run stands out in the theme's accent colour (bold alone without colour)."""
    return f"bold {widget.app.theme_variables.get('accent', '')}".strip()
