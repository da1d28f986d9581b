"""The one-writer rule of the commands that write the lake: the OS lock on disk, the lease in a
bucket (moto's server on 127.0.0.1), renewed while the command works."""

from __future__ import annotations

import time

import pytest

from lakeconsole.core.lease import LeaseHeld, LeaseLost, take_lease
from lakeconsole.core.lock import RunLocked, current_holder, lake_lock
from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.core.writer_lock import lake_writer_lock
from tests.backup_fixtures import s3_server
from tests.s3_lake_fixtures import s3_env, s3_location, s3_url

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name


@pytest.fixture
def bucket_settings(env: dict[str, str], s3_server: dict[str, str], s3_url: str) -> Settings:
    return load_settings({**env, **s3_env(s3_server), "LAKECONSOLE_DATA_DIR": s3_url})


def test_on_disk_it_is_the_lake_lock(settings: Settings) -> None:
    with lake_writer_lock(settings, "lakeconsole vacuum"):
        holder = current_holder(settings.state_dir)
        assert holder is not None and holder.command == "lakeconsole vacuum"
    with (
        lake_lock(settings, "lakeconsole run"),
        pytest.raises(RunLocked),
        lake_writer_lock(settings, "lakeconsole optimize"),
    ):
        pass  # pragma: no cover


def test_in_a_bucket_the_lease_is_renewed_while_the_command_works(
    bucket_settings: Settings,
) -> None:
    with lake_writer_lock(bucket_settings, "lakeconsole vacuum", ttl_s=0.6) as lock:
        time.sleep(1.5)  # two and a half lives of an unrenewed lease
        with pytest.raises(LeaseHeld, match=r"\(lakeconsole vacuum, run "):
            take_lease(bucket_settings.lake, "lakeconsole run", "r-other")
        lock.still_held()
    assert not (bucket_settings.lake / "_lakeconsole" / "lease.json").exists()
    take_lease(bucket_settings.lake, "lakeconsole run", "r-next").release()  # free again


def test_a_lease_lost_meanwhile_stops_the_next_table(bucket_settings: Settings) -> None:
    with lake_writer_lock(bucket_settings, "lakeconsole optimize", ttl_s=0.6) as lock:
        (bucket_settings.lake / "_lakeconsole" / "lease.json").delete()
        time.sleep(0.5)  # the renewal at 0.2 s finds it gone
        with pytest.raises(LeaseLost):
            lock.still_held()


def test_in_a_bucket_a_held_lease_refuses_naming_the_holder(
    bucket_settings: Settings, s3_server: dict[str, str], s3_url: str
) -> None:
    lease = take_lease(s3_location(s3_url, s3_server), "lakeconsole run", "r-elsewhere")
    try:
        with (
            pytest.raises(RunLocked, match=r"\(lakeconsole run, run r-elsewhere"),
            lake_writer_lock(bucket_settings, "lakeconsole vacuum"),
        ):
            pass  # pragma: no cover
    finally:
        lease.release()
