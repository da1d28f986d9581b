"""Deterministic sample landing data: JSON-lines files of app events, with realistic dirt.

About 1% of each file's events are re-sent in the next file (same event_id, changed
properties: the app retried), about 1% arrive late (event_ts days before the file's range), and
about 0.5% are malformed, spread over four kinds: missing event_id, unparseable timestamp,
unknown event_type, and a line cut short (not JSON at all). Lines are built column-wise with
Arrow string kernels, so a million events take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.pipelines.events import EVENT_TYPES, LANDING_COLUMNS, PLATFORMS

USERS = 3000
ITEMS = 500
SESSION_EVENTS = 8  # events per session on average
APP_VERSIONS = ("3.4.0", "3.4.1", "3.5.0", "4.0.0")
START = datetime(2024, 3, 1, tzinfo=UTC)
SPAN_DAYS = 30
RESEND_SHARE = 0.01
LATE_SHARE = 0.01
LATE_DAYS = (1, 4)  # a late event happened this many days (at least, at most) before its file
MALFORMED_SHARE = 0.005
MALFORMED_KINDS = (
    "missing_event_id",
    "unparseable_timestamp",
    "unknown_event_type",
    "not_json",
)
# After a session's app_open, what the user does next (event types other than app_open).
NEXT_TYPES = ("search", "view_item", "add_to_cart", "purchase", "app_close")
NEXT_WEIGHTS = (0.18, 0.42, 0.18, 0.07, 0.15)


@dataclass(frozen=True)
class DemoFile:
    """One file written: its events in all, of which re-sent, late and malformed."""

    path: Path
    rows: int
    resent: int
    malformed: int
    late: int = 0


def write_demo(
    folder: Path,
    rows: int = 20_000,
    files: int = 4,
    seed: int = 7,
    prefix: str = "events",
    after: int = 0,
) -> list[DemoFile]:
    """Write `files` JSON-lines files with `rows` events in all (plus re-sent ones) into `folder`.

    `after` continues an earlier demo of that many events (same seed): new event ids and later
    times at the same pace, as the next day's files would be. The same arguments always give
    byte-identical files."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = after + np.linspace(0, rows, files + 1).astype(np.int64)
    pace = after or rows  # events per SPAN_DAYS
    written: list[DemoFile] = []
    previous: pa.Table | None = None
    previous_spoiled = np.zeros(0, dtype=bool)
    for k in range(files):
        rng = np.random.default_rng([seed, k, after] if after else [seed, k])
        events = _events(rng, seed, int(bounds[k]), int(bounds[k + 1]), pace)
        events, spoiled, broken = _malform(rng, events)
        events, late = _make_late(rng, events, spoiled)
        resent = _resend(rng, previous, previous_spoiled) if previous is not None else None
        previous, previous_spoiled = events, spoiled
        lines = _lines(events, broken)
        if resent is not None:
            lines = pa.concat_arrays([lines, _lines(resent, np.zeros(resent.num_rows, bool))])
        path = folder / f"{prefix}_{k + 1:04d}.jsonl"
        tmp = path.with_name(f".{path.name}.tmp")  # a half-written file never looks like landing
        tmp.write_bytes(_join(lines))
        tmp.replace(path)
        written.append(
            DemoFile(
                path,
                len(lines),
                0 if resent is None else resent.num_rows,
                int(spoiled.sum()),
                late,
            )
        )
    return written


def _events(rng: np.random.Generator, seed: int, lo: int, hi: int, total: int) -> pa.Table:
    """Events lo..hi of the whole data set, in time order; sessions hash their global number."""
    n = hi - lo
    index = np.arange(lo, hi, dtype=np.int64)
    session = index // SESSION_EVENTS
    first_of_session = index % SESSION_EVENTS == 0
    user = _mix(session, seed, 1) % USERS + 1
    seconds = (index * SPAN_DAYS * 86_400) // max(total, 1) + _mix(index, seed, 2) % 60
    next_codes = np.array([EVENT_TYPES.index(t) for t in NEXT_TYPES])
    codes = np.where(
        first_of_session,
        EVENT_TYPES.index("app_open"),
        next_codes[rng.choice(len(NEXT_TYPES), size=n, p=NEXT_WEIGHTS)],
    )
    types = pa.array(EVENT_TYPES).take(pa.array(codes))
    platform = pa.array(PLATFORMS).take(pa.array(_mix(user, seed, 3) % len(PLATFORMS)))
    version = pa.array(APP_VERSIONS).take(pa.array(_mix(user, seed, 4) % len(APP_VERSIONS)))
    # A few clients still send upper-case types; silver lower-cases them.
    shout = pa.array(rng.random(n) < 0.02)
    event_type = pc.if_else(shout, pc.utf8_upper(types), types)
    ts = pa.array(np.datetime64(START.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]"))
    return pa.table(
        {
            "event_id": _ids("E", index + 1, 10),
            "user_id": _ids("U", user, 5),
            "session_id": _ids("S", session + 1, 8),
            "event_type": event_type,
            "event_ts": _iso(ts),
            "app_version": version,
            "platform": platform,
            "properties": _properties(rng, codes, 0),
        }
    ).select(list(LANDING_COLUMNS))


def _properties(rng: np.random.Generator, codes: np.ndarray, retry: int) -> pa.Array:
    """The JSON object text of each event's details, by its type (`codes` index EVENT_TYPES)."""
    n = len(codes)
    item = _ids("I", rng.integers(1, ITEMS + 1, n), 4)
    cents = pc.cast(pa.array(rng.integers(199, 9_999, n)), pa.string())
    price = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(cents, 0, -2), pc.utf8_slice_codeunits(cents, -2), "."
    )
    qty = pc.cast(pa.array(rng.integers(1, 4, n)), pa.string())
    seconds = pc.cast(pa.array(rng.integers(5, 3_600, n)), pa.string())
    query = pa.array(("shoes", "lamp", "gift card", "coffee", "tent")).take(rng.integers(0, 5, n))
    item_field = pc.binary_join_element_wise('"item_id":"', item, '"', "")
    by_type = {
        "app_open": pa.array(np.full(n, ""), pa.string()),
        "search": pc.binary_join_element_wise('"query":"', query, '"', ""),
        "view_item": pc.binary_join_element_wise(item_field, ',"price":', price, ""),
        "add_to_cart": pc.binary_join_element_wise(item_field, ',"qty":', qty, ""),
        "purchase": pc.binary_join_element_wise(item_field, ',"amount":', price, ""),
        "app_close": pc.binary_join_element_wise('"duration_s":', seconds, ""),
    }
    body = pc.choose(pa.array(codes, pa.int8()), *(by_type[t] for t in EVENT_TYPES))
    if retry:
        suffix = f'"retry":{retry}'
        body = pc.if_else(
            pc.equal(body, ""), suffix, pc.binary_join_element_wise(body, suffix, ",")
        )
    return pc.binary_join_element_wise("{", body, "}", "")


def _make_late(
    rng: np.random.Generator, events: pa.Table, spoiled: np.ndarray
) -> tuple[pa.Table, int]:
    """Move about LATE_SHARE of the well-formed events to days before the file's first event."""
    n = events.num_rows
    picked = np.flatnonzero((rng.random(n) < LATE_SHARE) & ~spoiled)
    if len(picked) == 0:
        return events, 0
    wellformed = events.column("event_ts").filter(pa.array(~spoiled))
    first = np.datetime64(str(pc.min(wellformed).as_py()).rstrip("Z"), "s")
    back = rng.integers(LATE_DAYS[0] * 86_400, (LATE_DAYS[1] + 1) * 86_400, len(picked))
    late_ts = _iso(pa.array(first - back.astype("timedelta64[s]")))
    mask = np.zeros(n, dtype=bool)
    mask[picked] = True
    ts = pc.replace_with_mask(events.column("event_ts").combine_chunks(), pa.array(mask), late_ts)
    return events.set_column(events.schema.get_field_index("event_ts"), "event_ts", ts), len(picked)


def _malform(rng: np.random.Generator, events: pa.Table) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Spoil about MALFORMED_SHARE of the events, the four kinds in turn. Returns the events,
    which are spoiled, and which of those to cut short (not JSON)."""
    n = events.num_rows
    picked = np.flatnonzero(rng.random(n) < MALFORMED_SHARE)
    kinds = len(MALFORMED_KINDS)
    spoil = (("event_id", None), ("event_ts", "2024-02-30T25:61:00Z"), ("event_type", "teleport"))
    for kind_index, (column, bad) in enumerate(spoil):
        mask = np.zeros(n, dtype=bool)
        mask[picked[kind_index::kinds]] = True
        spoiled = pc.if_else(pa.array(mask), pa.scalar(bad, pa.string()), events.column(column))
        events = events.set_column(events.schema.get_field_index(column), column, spoiled)
    spoiled_rows = np.zeros(n, dtype=bool)
    spoiled_rows[picked] = True
    broken = np.zeros(n, dtype=bool)
    broken[picked[kinds - 1 :: kinds]] = True
    return events, spoiled_rows, broken


def _resend(rng: np.random.Generator, previous: pa.Table, spoiled: np.ndarray) -> pa.Table | None:
    """About RESEND_SHARE of the previous file's well-formed events again, properties changed
    (the app retried and added a retry count)."""
    chosen = np.flatnonzero((rng.random(previous.num_rows) < RESEND_SHARE) & ~spoiled)
    if len(chosen) == 0:
        return None
    again = previous.take(pa.array(chosen))
    codes = pc.index_in(pc.utf8_lower(again.column("event_type")), pa.array(EVENT_TYPES))
    column = again.schema.get_field_index("properties")
    properties = _properties(rng, np.asarray(codes.to_numpy(zero_copy_only=False)), retry=1)
    return again.set_column(column, "properties", properties)


def _lines(events: pa.Table, broken: np.ndarray) -> pa.Array:
    """One JSON object per event; values are ids, codes and ISO times, which need no escaping."""
    parts: list[pa.Array | str] = []
    for i, name in enumerate(LANDING_COLUMNS):
        values = events.column(name).combine_chunks()
        lead = ("{" if i == 0 else ",") + f'"{name}":'
        if name == "properties":
            text = values  # already JSON
        else:
            quoted = pc.binary_join_element_wise('"', values, '"', "")
            text = pc.fill_null(quoted, "null")
        parts.append(pc.binary_join_element_wise(lead, text, ""))
    line = pc.binary_join_element_wise(*parts, "}", "")
    # A collector killed mid-write leaves half a line.
    cut = pc.utf8_slice_codeunits(line, 0, 37)
    return pc.if_else(pa.array(broken), cut, line)


def _join(lines: pa.Array) -> bytes:
    """The lines as one UTF-8 buffer, each ending in a newline (no copy per line)."""
    if len(lines) == 0:
        return b""
    ended = pc.binary_join_element_wise(lines, "\n", "")
    if isinstance(ended, pa.ChunkedArray):
        ended = ended.combine_chunks()
    _, offsets, data = ended.buffers()
    assert offsets is not None and data is not None
    bounds = np.frombuffer(offsets, dtype=np.int32)[ended.offset : ended.offset + len(ended) + 1]
    return data[int(bounds[0]) : int(bounds[-1])].to_pybytes()


def _mix(values: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A cheap deterministic hash of integers (splitmix-style), non-negative."""
    x = (values.astype(np.uint64) + np.uint64(seed * 1_000_003 + salt)) * np.uint64(
        0x9E3779B97F4A7C15
    )
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return (x >> np.uint64(1)).astype(np.int64)


def _iso(ts: pa.Array) -> pa.Array:
    """ISO 8601 UTC text; a cast is ten times faster than pc.strftime."""
    return pc.binary_join_element_wise(
        pc.replace_substring(pc.cast(ts, pa.string()), " ", "T"), "Z", ""
    )


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")
