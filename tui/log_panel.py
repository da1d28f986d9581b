"""logs/app.log as it grows: only new bytes are read, a bounded number of lines kept, and a
rotated file (OPS-04) is followed from its start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import work
from textual.widgets import Log

from lakeconsole.tui.landing import FIRST_FRAME_S
from lakeconsole.tui.log_tail import LogTail
from lakeconsole.tui.messages import LogLines
from lakeconsole.tui.watching import import_watchfiles

KEPT_LINES = 2000  # older lines scroll away: the panel stays fast on a large log


class LogPanel(Log):
    """A tail of the app log; `l` maximizes it."""

    DEBOUNCE_MS = 200

    def __init__(self, path: Path) -> None:
        super().__init__(max_lines=KEPT_LINES, id="log", highlight=False)
        self.path = path
        self.tail = LogTail(path)

    def on_mount(self) -> None:
        self.border_title = self.path.name
        self.set_timer(FIRST_FRAME_S, self.follow_log)  # the first screen first (LandingPanel)

    @work(exclusive=True, exit_on_error=False, group="log")
    async def follow_log(self) -> None:
        """Read the tail now, then new lines after every change in the log folder."""
        watchfiles = await asyncio.to_thread(import_watchfiles)
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        await self._read()
        folder = self.path.parent
        async for _changes in watchfiles.awatch(folder, debounce=self.DEBOUNCE_MS, step=50):
            await self._read()

    async def _read(self) -> None:
        rotations = self.tail.rotations
        lines = await asyncio.to_thread(self.tail.read_new)
        rotated = self.tail.rotations != rotations
        if lines or rotated:
            self.post_message(LogLines(lines, rotated))

    def on_log_lines(self, message: LogLines) -> None:
        message.stop()
        if message.rotated:
            self.clear()
        self.write_lines(message.lines)
