"""Charts as Rich Text: data in, text out, so each is tested without an app and any widget can
show one. Points are braille dots (2 × 4 to a cell), bars are eighth blocks (8 steps to a cell):
a chart of 17 × 4 cells still has a scale, a time axis and 12 heights."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from lakeconsole.core.run_trends import LatencyPoint, RunSteps

BRAILLE = 0x2800
# The bit of each braille dot, by row (from the top) and column of the cell.
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
UP_EIGHTHS = " ▁▂▃▄▅▆▇█"  # a cell filled from the bottom, 0 to 8 eighths
RIGHT_EIGHTHS = " ▏▎▍▌▋▊▉█"  # a cell filled from the left
NICE_STEPS = (1, 1.5, 2, 3, 4, 5, 6, 8, 10)  # a scale's top is one of these × 10^k
# Steps are told apart by colour, and by these shades too where there is no colour (NO_COLOR).
PALETTE = ("#4f9fd6", "#e0a030", "#5bb974", "#c678dd", "#e06c75", "#56b6c2")
AXIS = "dim"


@dataclass(frozen=True)
class Scale:
    """A y axis in seconds, minutes or hours, from 0 to a round `top`."""

    top: float
    unit: float
    suffix: str

    def label(self, seconds: float) -> str:
        return f"{seconds / self.unit:g}{self.suffix}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 (× a power of ten) that is at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    step = next(s for s in NICE_STEPS if s * power >= value * (1 - 1e-9))
    return float(f"{step * power:.6g}")  # 0.4, not 0.4000000000000001


def seconds_scale(largest: float) -> Scale:
    """A scale whose top label is short (`8s`, `2m`, `1.5h`) and sits at or above `largest`."""
    unit, suffix = (3600.0, "h") if largest > 5400 else (60.0, "m") if largest > 90 else (1.0, "s")
    return Scale(nice_ceiling(largest / unit) * unit, unit, suffix)


def time_label(at: float, span_s: float, day_too: bool = False) -> str:
    """`17 Nov` for runs days apart, `14:05` within a day (`14:05:09` within minutes), and the
    day before the newest run's time when there is room (local time, as app.log shows it)."""
    if span_s >= 86400:
        return time.strftime("%d %b", time.localtime(at))
    clock = "%H:%M:%S" if 0 < span_s < 600 else "%H:%M"  # runs minutes apart need seconds
    return time.strftime(f"%d %b {clock}" if day_too else clock, time.localtime(at))


def spread(count: int, slots: int) -> list[int]:
    """Where `count` runs go on `slots` columns, oldest left, newest on the right edge."""
    if count == 1:
        return [slots - 1]
    return [round(i * (slots - 1) / (count - 1)) for i in range(count)]


def time_axis(times: Sequence[float], cells: Sequence[int], width: int) -> str:
    """The oldest run's time under its column, the newest one's under its own, and the middle
    run's between them when there is room: every label stands under the run it names."""
    if not times:
        return ""
    span = times[-1] - times[0]
    row = [" "] * width
    taken: list[tuple[int, int]] = []
    picks = [len(times) - 1, 0] + ([len(times) // 2] if len(times) > 2 else [])
    for i in dict.fromkeys(picks):
        label = time_label(times[i], span)
        dated = time_label(times[i], span, day_too=True)
        if i == len(times) - 1 and len(dated) <= width:  # which day these times are on
            label = dated
        start = min(max(cells[i] - len(label) // 2, 0), width - len(label))
        end = start + len(label)
        if start < 0 or any(start <= b and a <= end for a, b in taken):
            continue  # too narrow, or it would touch a label already placed
        if any(label in "".join(row[a:b]) for a, b in taken):
            continue  # runs of the same minute: one label says it
        row[start:end] = label
        taken.append((start, end))
    return "".join(row)


def latency_chart(
    points: Sequence[LatencyPoint],
    width: int,
    height: int,
    point_style: str = "",
    newest_style: str = "bold",
) -> Text:
    """End-to-end latency per run as a scatter: a y scale in seconds on the left, one short tick
    of two braille dots per run (its top is the latency), run times along the bottom."""
    if not points:
        return Text("no completed runs yet", style=AXIS)
    rows = height - 1 if height >= 3 else max(height, 1)
    scale = seconds_scale(max(p.latency_s for p in points))
    top, zero = scale.label(scale.top), scale.label(0)
    gutter = max(len(top), len(zero))
    plot_w = width - gutter - 1
    if plot_w < 2:
        return Text(f"last {points[-1].latency_s:.1f}s", style=AXIS)
    shown = list(points[-plot_w * 2 :])
    xs = spread(len(shown), plot_w * 2)
    dots_h = rows * 4
    grid = [[0] * plot_w for _ in range(rows)]
    for x, point in zip(xs, shown, strict=True):
        level = min(round(point.latency_s / scale.top * (dots_h - 1)), dots_h - 1)
        for y in {level, max(level - 1, 0)}:
            grid[rows - 1 - y // 4][x // 2] |= DOT_BITS[3 - y % 4][x % 2]
    newest_cell = xs[-1] // 2
    out = Text(no_wrap=True, overflow="crop")
    for r, cells in enumerate(grid):
        label = top if r == 0 else zero if r == rows - 1 else ""
        out.append(label.rjust(gutter) + ("┤" if label else "│"), style=AXIS)
        for c, bits in enumerate(cells):
            out.append(
                chr(BRAILLE + bits) if bits else " ",
                newest_style if c == newest_cell else point_style,
            )
        out.append("\n")
    if rows < height:
        axis = time_axis([p.started_at for p in shown], [x // 2 for x in xs], plot_w)
        out.append(" " * gutter + "└" + axis, style=AXIS)
    else:
        out.rstrip()
    return out


def stack_bounds(durations: Sequence[float], top: float, eighths: int) -> list[int]:
    """Where each step's segment ends, in eighths of a cell from the bottom, cumulative and
    rounded once each, so the stack's height is the run's total on the same scale."""
    bounds, total = [0], 0.0
    for took in durations:
        total += took
        bounds.append(min(round(total / top * eighths), eighths))
    return bounds


def stack_cell(bounds: Sequence[int], row: int, colours: Sequence[str]) -> tuple[str, Style]:
    """The character and colours of one cell (row 0 at the bottom) of a stacked column. A cell
    where one step ends and the next begins shows the lower in front, the upper behind."""
    low, high = row * 8, row * 8 + 8
    inside = [
        (k, min(bounds[k + 1], high) - max(bounds[k], low))
        for k in range(len(bounds) - 1)
        if bounds[k] < high and bounds[k + 1] > low
    ]
    if not inside:
        return " ", Style()
    below, fill = inside[0]
    if fill == 8:
        return "█", Style(color=colours[below % len(colours)])
    above = max(inside[1:], key=lambda seg: seg[1], default=None)
    if above is None:
        return UP_EIGHTHS[fill], Style(color=colours[below % len(colours)])
    if bounds[-1] >= high:  # the stack goes on above this cell: both colours, exactly
        front, back = colours[below % len(colours)], colours[above[0] % len(colours)]
        return UP_EIGHTHS[fill], Style(color=front, bgcolor=back)
    # The stack ends inside this cell too: its height, in the colour of the larger part.
    larger = max(inside, key=lambda seg: seg[1])[0]
    return UP_EIGHTHS[bounds[-1] - low], Style(color=colours[larger % len(colours)])


def stacked_steps_chart(
    runs: Sequence[RunSteps],
    width: int,
    height: int,
    palette: Sequence[str] = PALETTE,
) -> Text:
    """Per-step seconds stacked per run (oldest left), on a y scale in seconds, with a legend
    row naming each step in its colour: the segment that grew is the step that got slower."""
    if not runs:
        return Text("no succeeded runs yet", style=AXIS)
    names = [name for name, _ in runs[-1].steps]
    # The legend takes whole rows of its own, up to half the chart: a name cut to `gold_d…`
    # says nothing, so the names wrap before they are cut.
    key = legend_rows(names, width, max((height - 1) // 2, 1), palette) if height >= 3 else []
    rows = height - len(key) if key else max(height, 1)
    scale = seconds_scale(max(r.total_s for r in runs) or 1.0)
    top, zero = scale.label(scale.top), scale.label(0)
    gutter = max(len(top), len(zero))
    plot_w = width - gutter - 1
    if plot_w < 1:
        return Text(f"{len(runs)} runs", style=AXIS)
    # Room to spare: a space between runs, and runs up to 3 cells wide.
    gap = 1 if len(runs) * 2 <= plot_w else 0
    wide = min(max((plot_w + gap) // len(runs) - gap, 1), 3)
    shown = list(runs[-((plot_w + gap) // (wide + gap)) :])
    columns = [stack_bounds([took for _, took in r.steps], scale.top, rows * 8) for r in shown]
    left = plot_w - (len(shown) * (wide + gap) - gap)  # newest run at the right edge
    out = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        label = top if r == 0 else zero if r == rows - 1 else ""
        out.append(label.rjust(gutter) + ("┤" if label else "│") + " " * left, style=AXIS)
        for i, bounds in enumerate(columns):
            char, style = stack_cell(bounds, rows - 1 - r, palette)
            out.append(char * wide, style)
            if gap and i < len(columns) - 1:
                out.append(" ")
        out.append("\n")
    if key:
        out.append_text(Text("\n").join(key))
    else:
        out.rstrip()
    return out


def legend_rows(
    names: Sequence[str], width: int, most: int, palette: Sequence[str] = PALETTE
) -> list[Text]:
    """`■bronze_orders ■gold_revenue` on as few rows as hold every name whole; when more
    than `most` rows would be needed, one row with each name cut to its share."""
    rows: list[Text] = []
    for i, name in enumerate(names):
        item = len(name) + 2  # the square, the name, a space
        if not rows or rows[-1].cell_len + item > width + 1:
            rows.append(Text(no_wrap=True, overflow="crop"))
        rows[-1].append("■", Style(color=palette[i % len(palette)]))
        rows[-1].append(name + " ")
    if len(rows) > most or any(row.cell_len > width + 1 for row in rows):
        return [legend(names, width, palette)]
    for row in rows:
        row.rstrip()
    return rows


def legend(names: Sequence[str], width: int, palette: Sequence[str] = PALETTE) -> Text:
    """`■bronze_orders ■gold_revenue` on one row of `width` cells: the names whole, else their
    first words where those tell them apart (`■bronze ■silver ■gold`: a step is usually named
    after its layer), else each name cut to its share."""
    first_words = [name.split("_", 1)[0] for name in names]
    for candidate in (list(names), first_words):
        fits = sum(len(n) + 2 for n in candidate) - 1 <= width
        if len(set(candidate)) == len(candidate) and fits:
            names = candidate
            break
    room = max(width // max(len(names), 1) - 2, 1)
    out = Text(no_wrap=True, overflow="crop")
    for i, name in enumerate(names):
        short = name if len(name) <= room else name[: max(room - 1, 1)] + "…"
        out.append("■", Style(color=palette[i % len(palette)]))
        out.append(short + " ")
    out.truncate(width)
    return out


def bar(value: float, largest: float, width: int, style: str = "") -> Text:
    """A bar of `width` cells for `largest`, to an eighth of a cell; anything above 0 shows."""
    eighths = round(value / largest * width * 8) if largest > 0 else 0
    if value > 0:
        eighths = max(eighths, 1)
    full, part = divmod(min(eighths, width * 8), 8)
    text = "█" * full + (RIGHT_EIGHTHS[part] if part else "")
    return Text(text.ljust(width), style=style, no_wrap=True)


def part_bar(
    part: int, whole: int, largest: int, width: int, part_style: str = "", rest_style: str = ""
) -> Text:
    """`whole` as a bar on the scale of `largest`, its first `part` drawn ▓ (shaded, so it
    reads without colour too): files of a table and, shaded, how many of them are small."""
    whole_bar = bar(whole, largest, width).plain.rstrip()
    shaded = min(round(part / largest * width) if largest else 0, len(whole_bar))
    if part > 0:
        shaded = max(shaded, 1)
    out = Text(no_wrap=True)
    out.append("▓" * shaded, part_style)
    out.append(whole_bar[shaded:], rest_style)
    out.append(" " * (width - out.cell_len))
    return out
