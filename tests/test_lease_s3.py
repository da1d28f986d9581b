"""The lease lock on an s3:// lake (moto's server on 127.0.0.1): one holder, named to others,
an expired lease taken over by exactly one process."""

from __future__ import annotations

import socket
import threading

import pytest

from lakeconsole.core.lease import Lease, LeaseHeld, LeaseLost, take_lease
from lakeconsole.core.lock import RunLocked
from tests.backup_fixtures import s3_server
from tests.s3_lake_fixtures import s3_location, s3_url

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


def test_a_second_taker_is_told_who_holds_the_lease(s3_url: str, s3_server) -> None:
    lake = s3_location(s3_url, s3_server)
    take_lease(lake, "run", "r1", ttl_s=60)
    with pytest.raises(RunLocked, match=rf"on {socket.gethostname()} \(run, run r1, since") as err:
        take_lease(lake, "vacuum", "r2", ttl_s=60)
    assert "expires in 60 s" in str(err.value) or "expires in 59 s" in str(err.value)


def test_an_expired_lease_is_taken_over_and_its_old_holder_stops(s3_url: str, s3_server) -> None:
    lake = s3_location(s3_url, s3_server)
    now = [1000.0]
    old = take_lease(lake, "run", "r1", ttl_s=10, clock=lambda: now[0])
    now[0] += 11  # r1 died, or hung without renewing
    new = take_lease(lake, "run", "r2", ttl_s=10, clock=lambda: now[0])
    assert new.record.run_id == "r2"
    with pytest.raises(LeaseLost):
        old.renew(now[0])
    new.renew(now[0])  # the holder renews fine
    old.release()  # leaves r2's lease alone
    with pytest.raises(LeaseHeld, match="run r2"):
        take_lease(lake, "run", "r3", ttl_s=10, clock=lambda: now[0])


def test_only_one_of_many_racers_takes_an_expired_lease(s3_url: str, s3_server) -> None:
    lake = s3_location(s3_url, s3_server)
    take_lease(lake, "run", "dead", ttl_s=1, clock=lambda: 0.0)
    won: list[Lease] = []
    refused: list[LeaseHeld] = []

    def race(n: int) -> None:
        try:
            won.append(take_lease(lake, "run", f"r{n}", ttl_s=60, clock=lambda: 100.0))
        except LeaseHeld as exc:
            refused.append(exc)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 5
    assert {r.record.run_id for r in refused} == {won[0].record.run_id}


def test_a_released_lease_can_be_taken_again(s3_url: str, s3_server) -> None:
    lake = s3_location(s3_url, s3_server)
    take_lease(lake, "run", "r1").release()
    assert take_lease(lake, "run", "r2").record.run_id == "r2"


def test_a_held_lease_is_renewed_past_its_time_to_live_and_released_at_the_end(
    s3_url: str, s3_server
) -> None:
    import time

    from lakeconsole.core.lease import LEASE_FILE, held_lease

    lake = s3_location(s3_url, s3_server)
    with held_lease(lake, "run", "r1", ttl_s=1.5):
        time.sleep(3)  # twice its time to live: only its renewals keep it
        with pytest.raises(LeaseHeld, match="run r1"):
            take_lease(lake, "run", "r2", ttl_s=60)
    assert not (lake / LEASE_FILE).exists()
