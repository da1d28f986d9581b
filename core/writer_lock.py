"""The one-writer rule for every command that writes the lake, whatever the lake's kind.

`lake_writer_lock(settings, command)` is the one way in for vacuum, optimize, restore-version
and maintain: on disk it is core.lock's `lake_lock` (an OS file lock), on object storage
core.lease's lease (a conditional put), renewed by a thread while the command works, so a
long vacuum never outlives its lease. Both refuse with RunLocked naming the holder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.lock")


@contextmanager
def lake_writer_lock(settings: Settings, command: str, run_id: str | None = None) -> Iterator[None]:
    """Hold the lake's writer lock for `command`; RunLocked (LeaseHeld on object storage) when
    another process, on this machine or another, holds it."""
    from lakeconsole.core.lock import lake_lock

    if not settings.on_object_storage:
        with lake_lock(settings, command, run_id):
            yield
        return
    with _held_lease(settings, command, run_id):
        yield


@contextmanager
def _held_lease(settings: Settings, command: str, run_id: str | None) -> Iterator[None]:
    from lakeconsole.core.lease import LeaseLost, take_lease
    from lakeconsole.core.runs import new_run_id

    lease = take_lease(settings.lake, command, run_id or new_run_id())
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease.ttl_s / 3):
            try:
                lease.renew()
            except LeaseLost as exc:  # another writer took it: say so, the command ends soon
                log.error("%s: %s", command, exc)
                return
            except Exception as exc:  # the store did not answer this time: try again
                log.warning("%s: lease renewal failed: %s", command, exc)

    renewer = threading.Thread(target=renew, name="lease-renewal", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        lease.release()
