"""Whether a background read is still going, so a periodic tick can skip instead of piling up.

A thread worker cannot be stopped: `exclusive` only drops its answer. On a slow bucket a read of
the lake can outlast its interval (the step cards every 5 s, the lease every second), and each
tick would start another thread; they filled the thread pool and the landing panel's and the
views' reads waited behind them (seen in the walk on moto under load). A tick asks `busy` first.
"""

from __future__ import annotations

import threading
from types import TracebackType


class InFlight:
    """`with reads:` around a worker's body; `reads.busy` while one is inside."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> InFlight:
        with self._lock:
            self._count += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._count -= 1

    @property
    def busy(self) -> bool:
        return self._count > 0
