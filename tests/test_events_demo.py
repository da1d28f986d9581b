"""The events demo generator: deterministic JSON lines with late, re-sent and malformed events."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakeconsole.pipelines.events import EVENT_TYPES, LANDING_COLUMNS, PLATFORMS
from lakeconsole.pipelines.events.demo import write_demo

ROWS = 40_000
FILES = 4


def parse(path: Path, first: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """The events of a landing file (its `first` lines), and the lines that are not JSON."""
    events, broken = [], []
    for text in path.read_text(encoding="utf-8").splitlines()[:first]:
        try:
            events.append(json.loads(text))
        except ValueError:
            broken.append(text)
    return events, broken


def when(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(event["event_ts"])
    except (ValueError, TypeError):
        return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return write_demo(tmp_path_factory.mktemp("demo"), rows=ROWS, files=FILES, seed=3)


def test_the_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    first = write_demo(tmp_path / "a", rows=5000, files=3, seed=9)
    second = write_demo(tmp_path / "b", rows=5000, files=3, seed=9)
    other = write_demo(tmp_path / "c", rows=5000, files=3, seed=10)
    assert [f.path.name for f in first] == [
        "events_0001.jsonl",
        "events_0002.jsonl",
        "events_0003.jsonl",
    ]
    assert [f.path.read_bytes() for f in first] == [f.path.read_bytes() for f in second]
    assert [f.path.read_bytes() for f in first] != [f.path.read_bytes() for f in other]
    assert not list((tmp_path / "a").glob(".*")), "no temporary file is left behind"


def test_every_good_line_has_the_landing_columns_and_known_values(demo: list[Any]) -> None:
    events, _ = parse(demo[0].path)
    good = [
        e for e in events if e["event_id"] and when(e) and e["event_type"].lower() in EVENT_TYPES
    ]
    assert len(good) > 0.99 * len(events)
    assert all(list(e) == list(LANDING_COLUMNS) for e in events)
    assert {e["platform"] for e in events} == set(PLATFORMS)
    assert {e["event_type"].lower() for e in good} == set(EVENT_TYPES)
    assert all(isinstance(e["properties"], dict) for e in events), "properties is a nested object"
    # Some clients shout: silver lower-cases the type.
    assert any(e["event_type"].isupper() for e in good)


def test_about_one_percent_is_resent_in_the_next_file_with_changed_properties(
    demo: list[Any],
) -> None:
    assert demo[0].resent == 0
    for before, after in itertools.pairwise(demo):
        previous = {e["event_id"]: e for e in parse(before.path)[0] if e["event_id"]}
        events, _ = parse(after.path)
        again = [e for e in events if e["event_id"] in previous]
        assert len(again) == after.resent
        assert 0.006 < after.resent / before.rows < 0.014
        for e in again:
            first = previous[e["event_id"]]
            assert e["properties"] != first["properties"]
            assert {k: v for k, v in e.items() if k != "properties"} == {
                k: v for k, v in first.items() if k != "properties"
            }


def test_about_one_percent_arrives_days_before_its_files_range(demo: list[Any]) -> None:
    for f in demo:
        fresh, _ = parse(f.path, first=f.rows - f.resent)  # the re-sent lines come last
        times = [t for t in map(when, fresh) if t is not None]
        start = sorted(times)[len(times) // 50]  # the file's range, the late ones aside
        late = [t for t in times if t <= start - timedelta(days=1)]
        assert len(late) == f.late
        assert 0.006 < f.late / len(fresh) < 0.014


def test_about_half_a_percent_is_malformed_in_four_kinds(demo: list[Any]) -> None:
    kinds: Counter[str] = Counter()
    total = 0
    for f in demo:
        events, broken = parse(f.path)
        total += f.rows
        kinds["not_json"] += len(broken)
        for e in events:
            if e["event_id"] is None:
                kinds["missing_event_id"] += 1
            elif e["event_ts"] == "2024-02-30T25:61:00Z":
                kinds["unparseable_timestamp"] += 1
            elif e["event_type"].lower() not in EVENT_TYPES:
                kinds["unknown_event_type"] += 1
        assert sum(1 for _ in f.path.open()) == f.rows
    assert sum(kinds.values()) == sum(f.malformed for f in demo)
    assert 0.003 < sum(kinds.values()) / total < 0.007
    assert set(kinds) == {
        "missing_event_id",
        "unparseable_timestamp",
        "unknown_event_type",
        "not_json",
    }
    # The kinds take turns in each file: at most one apart per file.
    assert max(kinds.values()) - min(kinds.values()) <= len(demo), kinds


def test_a_demo_continued_with_after_brings_new_events_later(tmp_path: Path) -> None:
    first = write_demo(tmp_path, rows=4000, files=2, seed=5)
    later = write_demo(tmp_path, rows=1000, files=1, seed=5, prefix="next", after=4000)
    assert later[0].path.name == "next_0001.jsonl"
    old = [e for f in first for e in parse(f.path)[0]]
    new, _ = parse(later[0].path)
    assert not {e["event_id"] for e in old if e["event_id"]} & {e["event_id"] for e in new}
    newest_old = max(t for t in map(when, old) if t is not None)
    on_time = sorted(t for t in map(when, new) if t is not None)[len(new) // 50 :]
    assert min(on_time) >= newest_old - timedelta(minutes=1)
