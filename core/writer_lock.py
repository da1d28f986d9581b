"""The one-writer rule for every command that writes the lake, whatever the lake's kind.

`lake_writer_lock(settings, command)` is the one way in for vacuum, optimize, restore-version,
repair and maintain: on disk it is core.lock's `lake_lock` (an OS file lock), on object storage
core.lease's lease (a conditional put), renewed by a thread while the command works, so a long
vacuum never outlives its lease. Both refuse with RunLocked naming the holder. A command that
works table by table asks `still_held()` before each one: a lease lost meanwhile (the store
unreachable past its expiry, another process taking it over) stops it there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.lock")


class WriterLock:
    """A held writer lock; `still_held()` raises LeaseLost once a lease was lost."""

    def __init__(self) -> None:
        self.lost: Exception | None = None

    def still_held(self) -> None:
        if self.lost is not None:
            raise self.lost


@contextmanager
def lake_writer_lock(
    settings: Settings, command: str, run_id: str | None = None, ttl_s: float | None = None
) -> Iterator[WriterLock]:
    """Hold the lake's writer lock for `command`; RunLocked (LeaseHeld on object storage) when
    another process, on this machine or another, holds it. `ttl_s`: the lease's life between
    renewals (default core.lease's). The lock and its renewals are core.lock's `lake_lock`; this
    only turns a lost lease into an error the next `still_held()` raises."""
    from lakeconsole.core.lease import LeaseLost
    from lakeconsole.core.lock import lake_lock

    held = WriterLock()

    def lost(why: str) -> None:
        log.error("%s: %s", command, why)
        held.lost = LeaseLost(why)

    with lake_lock(settings, command, run_id, on_lost=lost, ttl_s=ttl_s):
        yield held
