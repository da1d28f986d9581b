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
import threading
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
    renewals (default core.lease's)."""
    from lakeconsole.core.lock import lake_lock

    if not settings.on_object_storage:
        with lake_lock(settings, command, run_id):
            yield WriterLock()
        return
    with _held_lease(settings, command, run_id, ttl_s) as held:
        yield held


@contextmanager
def _held_lease(
    settings: Settings, command: str, run_id: str | None, ttl_s: float | None
) -> Iterator[WriterLock]:
    from lakeconsole.core.lease import DEFAULT_TTL_S, LeaseLost, take_lease
    from lakeconsole.core.runs import new_run_id

    lease = take_lease(settings.lake, command, run_id or new_run_id(), ttl_s or DEFAULT_TTL_S)
    held = WriterLock()
    stop = threading.Event()

    def renew() -> None:
        # A third of the life between renewals: two failed tries still leave time for a third.
        while not stop.wait(lease.ttl_s / 3):
            try:
                lease.renew()
            except LeaseLost as exc:  # another writer took it, or it was removed
                log.error("%s: %s", command, exc)
                held.lost = exc
                return
            except Exception as exc:  # the store did not answer this time: try again
                log.warning("%s: lease renewal failed: %s", command, exc)

    renewer = threading.Thread(target=renew, name="lease-renewal", daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        lease.release()
