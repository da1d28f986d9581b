"""Producing a stream's items in a thread while the caller consumes them: bronze parses the
next batches of a landing file while delta-rs encodes and writes the ones before, so the two
run on two cores (pyarrow's parser and delta-rs's writer both let go of the GIL).

Memory stays bounded: at most `depth` items wait between the two. An error raised by the
producer is raised again, unchanged, by the consumer at the point in the stream it happened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# How long a blocked producer waits before it looks again whether the consumer stopped.
_POLL_S = 0.05


class _End:
    """The producer's last message: the stream is over, or why it stopped (`error`)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


@contextmanager
def read_ahead(items: Iterator[T], depth: int) -> Iterator[Iterator[T]]:
    """`items`, produced in a thread up to `depth` ahead of the consumer. On leaving the block
    the producer is stopped and joined: nothing of it runs after (the file it reads may be
    closed then), whether the stream was read to its end or not."""
    waiting: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | _End) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_End(exc))
        else:
            put(_End())
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def consume() -> Iterator[T]:
        while True:
            item = waiting.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    worker = threading.Thread(target=produce, name="lakeconsole-read-ahead", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()
