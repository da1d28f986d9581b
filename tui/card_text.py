"""The words on a step card, as plain text: no Textual here, so each line is tested alone.

A card is 20 columns wide at 80×24 and about 34 at 120×40: where a line has a long and a short
form, `fit` takes the longest that fits rather than cutting it."""

from __future__ import annotations

from rich.cells import cell_len

from lakeconsole.core.events import StepState
from lakeconsole.core.run_timeline import seconds
from lakeconsole.core.table_facts import TableFacts
from lakeconsole.core.units import age, ago
from lakeconsole.tui.run_view import StepView


def count(n: int | None) -> str:
    """1234 → 1.2k: numbers that fit a narrow card."""
    if n is None:
        return "-"
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def per_second(rate: float) -> str:
    """A throughput: 250000.0 → 250.0k, 2.5 → 2.5 (a gold step does a few dates a second)."""
    return count(int(rate)) if rate >= 10 else f"{rate:.1f}"


def fit(width: int | None, *forms: str) -> str:
    """The first (longest) form that fits `width` columns; the last one when none does."""
    if width is not None and width > 0:
        for form in forms:
            if cell_len(form) <= width:
                return form
    return forms[0] if width is None or width <= 0 else forms[-1]


def state_text(step: StepView, now: float) -> str:
    word = "skipped" if step.state == StepState.SKIPPED else step.state.value
    took = seconds(step.elapsed(now))
    return f"{word} · {took}" if took else word


def detail_text(step: StepView, width: int | None = None) -> str:
    """Progress and throughput while running, records in → out with their units when done,
    the reason when it did not run."""
    if step.state in (StepState.FAILED, StepState.SKIPPED) and step.note:
        return step.note
    if step.state == StepState.RUNNING:
        return _progress(step, width)
    if step.records_in is None and step.records_out is None:
        return ""
    if not step.records_in and not step.records_out:
        return "nothing new"
    got, wrote = count(step.records_in), count(step.records_out)
    rows = rows_word(step.records_out)
    if step.records_in_unit == "rows":
        return fit(width, f"in {got} → out {wrote} {rows}", f"in {got} → out {wrote}")
    # Gold counts dates in, rows out: a bare `in 90` read as 90 rows.
    return fit(
        width,
        f"{got} {step.records_in_unit} → {wrote} {rows}",
        f"{got} {step.records_in_unit} → {wrote}",
    )


def rows_word(n: int | None) -> str:
    return "row" if n == 1 else "rows"


def _progress(step: StepView, width: int | None) -> str:
    done = f"{count(step.done)}/{count(step.total)}" if step.total else count(step.done)
    if not step.done and not step.total:
        return "working…"
    if step.rate is None:
        return f"{done} {step.unit}"
    rate = per_second(step.rate)
    return fit(
        width,
        f"{done} {step.unit} · {rate} {step.unit}/s",
        f"{done} {step.unit} · {rate}/s",
        f"{done} · {rate}/s",
        f"{done} {step.unit}",
    )


def quarantine_text(step: StepView) -> str:
    """Silver's rejected lines, once it says how many (0 included: none is news too)."""
    if step.quarantined is None:
        return ""
    return f"⚠ {count(step.quarantined)} quarantined" if step.quarantined else "0 quarantined"


def table_text(facts: TableFacts, now: float, width: int | None = None, named: bool = False) -> str:
    """'v12 · 10.2M rows · 3 min ago' (`named`: led by the table's last name, for a step that
    writes more than one)."""
    lead = f"{facts.name.rsplit('/', 1)[-1]} " if named else ""
    if facts.error:
        return f"{lead}{'damaged' if facts.damaged else 'unreadable'}: {facts.error}"
    if not facts.built:
        return f"{lead}not written yet"
    rows = count(facts.rows) if facts.rows is not None else "?"
    word = rows_word(facts.rows)
    when = now - facts.last_commit_ms / 1000 if facts.last_commit_ms is not None else None
    long_when = short_when = ""
    if when is not None:
        long_when = f" · {ago(when)}"
        short_when = " · now" if when < 1 else f" · {age(when, short=True)}"
    forms = [
        f"{lead}v{facts.version} · {rows} {word}{long_when}",
        f"{lead}v{facts.version} · {rows} {word}{short_when}",
        f"{lead}v{facts.version} · {rows}{short_when}",
    ]
    if named:
        forms += [f"v{facts.version} · {rows}{short_when}"]
    return fit(width, *forms)
