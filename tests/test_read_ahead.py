"""core.blocks.read_ahead: bronze's batches parsed in a thread while the writer consumes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from lakeconsole.core.blocks.read_ahead import read_ahead


def test_items_arrive_in_order_from_another_thread() -> None:
    threads: list[str] = []

    def items() -> Iterator[int]:
        for i in range(50):
            threads.append(threading.current_thread().name)
            yield i

    with read_ahead(items(), 3) as ahead:
        assert list(ahead) == list(range(50))
    assert set(threads) == {"lakeconsole-read-ahead"}


def test_an_error_of_the_producer_is_raised_by_the_consumer_where_it_happened() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad row 3")

    got: list[int] = []
    with read_ahead(items(), 2) as ahead, pytest.raises(ValueError, match="bad row 3"):
        for item in ahead:
            got.append(item)
    assert got == [1, 2]


def test_the_producer_stays_at_most_depth_ahead_and_stops_with_the_block() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    with read_ahead(items(), 2) as ahead:
        assert next(ahead) == 0
        # The consumer holds 0; at most 2 wait in the queue and 1 is in the producer's hand.
        threading.Event().wait(0.3)
        assert len(produced) <= 4
    # Left early: the producer was stopped and joined, its generator closed, nothing after.
    assert closed.is_set()
    after = len(produced)
    threading.Event().wait(0.1)
    assert len(produced) == after <= 4
