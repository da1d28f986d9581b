"""One writer at a time on a lake in object storage: a lease object, not an OS file lock.

A lease is `_lakeconsole/lease.json` under the lake: who holds it (host, pid, command, run id,
since when) and until when. It is taken with a conditional put that only creates (two takers:
one wins, the other is told who holds it), renewed and taken over only if it is still the
version read (ETag), so a lease that expired can be taken by exactly one process. A holder
that dies stops renewing and its lease frees itself after `ttl_s` (at once for a holder on this
machine whose process is gone). The refusal is core.lock's
RunLocked, with the holder named, so every command that refuses on a held lock refuses alike.

core.lock's `lake_lock` takes it on an object-store lake (`held_lease`), where a local lake
takes the OS file lock: a thread renews it every third of its time to live while the command
runs, and it is released at the end.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from lakeconsole.core.lock import LockHolder, RunLocked
from lakeconsole.core.storage import Location

log = logging.getLogger("lakeconsole.lease")

LEASE_NAME = "lease.json"  # in the lake's state folder
LEASE_FILE = f"_lakeconsole/{LEASE_NAME}"
# A run renews well before this; a dead holder blocks others at most this long.
DEFAULT_TTL_S = 120.0


@dataclass(frozen=True)
class LeaseRecord:
    host: str
    pid: int
    command: str
    run_id: str
    started_at: float
    expires_at: float


class LeaseHeld(RunLocked):
    """Another process, maybe on another machine, holds the lake's lease."""

    def __init__(self, record: LeaseRecord, where: Location, now: float) -> None:
        holder = LockHolder(record.pid, record.run_id, record.started_at, record.command)
        Exception.__init__(
            self,
            f"A run is already going on this lake: process {record.pid} on {record.host} "
            f"({record.command}, run {record.run_id}, since "
            f"{time.strftime('%H:%M:%S', time.localtime(record.started_at))}); its lease "
            f"expires in {max(0, record.expires_at - now):.0f} s unless renewed. Wait for it "
            f"to finish, or stop it on {record.host} (kill {record.pid}) if it hangs",
        )
        self.holder = holder
        self.record = record
        self.where = where


class LeaseLost(Exception):
    """Our lease expired and another process took it, or it was removed: stop writing."""


class Lease:
    """A held lease; renew() before it expires, release() when done."""

    def __init__(self, where: Location, record: LeaseRecord, tag: str, ttl_s: float) -> None:
        self.where, self.record, self.tag, self.ttl_s = where, record, tag, ttl_s

    def renew(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        record = LeaseRecord(**{**asdict(self.record), "expires_at": now + self.ttl_s})
        tag = self.where.replace_if(_encode(record), self.tag)
        if tag is None:
            raise LeaseLost(f"the lake's lease at {self.where} was taken by another process")
        self.record, self.tag = record, tag

    def release(self) -> None:
        """Remove the lease if it is still ours (another holder's lease is left alone)."""
        current = self.where.read_tagged()
        if current is not None and current[1] == self.tag:
            self.where.delete()


def take_lease(
    lake: Location,
    command: str,
    run_id: str,
    ttl_s: float = DEFAULT_TTL_S,
    clock: Callable[[], float] = time.time,
) -> Lease:
    """Take the lake's lease, or raise LeaseHeld naming the holder; an expired lease is taken
    over (by one process only, even when several try at once)."""
    where = lake / LEASE_FILE
    now = clock()
    record = LeaseRecord(socket.gethostname(), os.getpid(), command, run_id, now, now + ttl_s)
    tag = where.create(_encode(record))
    if tag is not None:
        return Lease(where, record, tag, ttl_s)
    current = where.read_tagged()
    if current is None:  # released between our create and our read: try once more
        return take_lease(lake, command, run_id, ttl_s, clock)
    held = _decode(current[0])
    if held is not None and held.expires_at > now and not _holder_died_here(held):
        raise LeaseHeld(held, where, now)
    tag = where.replace_if(_encode(record), current[1])
    if tag is None:  # another process took the expired lease first
        latest = where.read_tagged()
        winner = _decode(latest[0]) if latest else None
        if winner is not None:
            raise LeaseHeld(winner, where, now)
        return take_lease(lake, command, run_id, ttl_s, clock)
    return Lease(where, record, tag, ttl_s)


@contextmanager
def held_lease(
    lake: Location,
    command: str,
    run_id: str,
    ttl_s: float | None = None,
    on_lost: Callable[[str], None] | None = None,
) -> Iterator[Lease]:
    """Hold the lake's lease while the block runs: taken (LeaseHeld naming the holder), renewed
    by a thread every third of `ttl_s`, released at the end. A renewal that finds the lease
    taken (this process stalled past its expiry) is logged, ends the renewals and calls
    `on_lost` with why: the holder must stop writing."""
    ttl_s = ttl_s or DEFAULT_TTL_S
    lease = take_lease(lake, command, run_id, ttl_s)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 3):
            try:
                lease.renew()
            except LeaseLost as exc:
                log.error("%s: this %s stops renewing it", exc, command)
                if on_lost is not None:
                    on_lost(str(exc))
                return
            except Exception as exc:  # a storage hiccup: the next renewal tries again
                log.warning("lease renewal failed (%s); trying again", exc)

    renewer = threading.Thread(target=renew, name="lease-renewal", daemon=True)
    renewer.start()
    try:
        yield lease
    finally:
        stop.set()
        renewer.join()
        try:
            lease.release()
        except Exception as exc:  # it expires by itself: a failed release only delays others
            log.warning("lease not released (%s): it expires in %.0f s", exc, ttl_s)


def holder_of(state: Location, now: float | None = None) -> LockHolder | None:
    """Who holds the lease in the lake's state folder now (expired or unreadable: nobody)."""
    current = (state / LEASE_NAME).read_tagged()
    record = _decode(current[0]) if current else None
    now = time.time() if now is None else now
    if record is None or record.expires_at <= now:
        return None
    return LockHolder(record.pid, record.run_id, record.started_at, record.command)


def _holder_died_here(record: LeaseRecord) -> bool:
    """The holder ran on this machine and its process is gone (a kill -9, a crash): its lease
    is taken over at once rather than after its expiry, as a dead process's file lock is."""
    from lakeconsole.core.lock import pid_alive

    return record.host == socket.gethostname() and not pid_alive(record.pid)


def _encode(record: LeaseRecord) -> bytes:
    return json.dumps(asdict(record)).encode()


def _decode(data: bytes) -> LeaseRecord | None:
    """The record, or None for a lease that is not one we wrote (treated as expired)."""
    try:
        return LeaseRecord(**json.loads(data))
    except (ValueError, TypeError):
        return None
