"""One writer at a time on a lake in object storage: a lease object, not an OS file lock.

A lease is `_lakeconsole/lease.json` under the lake: who holds it (host, pid, command, run id,
since when) and until when. It is taken with a conditional put that only creates (two takers:
one wins, the other is told who holds it), renewed and taken over only if it is still the
version read (ETag), so a lease that expired can be taken by exactly one process. A holder
that dies stops renewing and its lease frees itself after `ttl_s`. The refusal is core.lock's
RunLocked, with the holder named, so every command that refuses on a held lock refuses alike.

First stage: the lease and its tests; the commands that write an s3:// lake (run, vacuum...)
still refuse there, and will take `lake_lease` where a local lake takes `lake_lock`.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from lakeconsole.core.lock import LockHolder, RunLocked
from lakeconsole.core.storage import Location

LEASE_FILE = "_lakeconsole/lease.json"
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
    if held is not None and held.expires_at > now:
        raise LeaseHeld(held, where, now)
    tag = where.replace_if(_encode(record), current[1])
    if tag is None:  # another process took the expired lease first
        latest = where.read_tagged()
        winner = _decode(latest[0]) if latest else None
        if winner is not None:
            raise LeaseHeld(winner, where, now)
        return take_lease(lake, command, run_id, ttl_s, clock)
    return Lease(where, record, tag, ttl_s)


def _encode(record: LeaseRecord) -> bytes:
    return json.dumps(asdict(record)).encode()


def _decode(data: bytes) -> LeaseRecord | None:
    """The record, or None for a lease that is not one we wrote (treated as expired)."""
    try:
        return LeaseRecord(**json.loads(data))
    except (ValueError, TypeError):
        return None
