"""logs/app.log as it grows: only new bytes are read, a bounded number of lines kept, a rotated
file (OPS-04) followed from its start, a level filter (`L`) and a text filter (`/`), which
apply together.

A line longer than the panel is wide wraps onto indented continuation rows (cut, the end of a
warning was lost); a change of width wraps the kept lines again.

The panel follows the end of the file: new lines scroll it to the end whatever its size was
when they came (enlarged with `l`, shrunk back, a terminal resize). Only scrolling up by hand
(keys or the mouse wheel) stops that, until End, scrolling back to the end, or a resize."""

from __future__ import annotations

import asyncio
import textwrap
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from textual import events, work
from textual.geometry import Size
from textual.widgets import Log

from lakeconsole.tui.log_levels import FILTERS, filter_lines, lines_containing
from lakeconsole.tui.log_tail import LogTail
from lakeconsole.tui.watching import FIRST_FRAME_S, import_watchfiles

KEPT_LINES = 2000  # older lines scroll away: the panel stays fast on a large log


class LogPanel(Log):
    """A tail of the app log; `l` maximizes it, `L` cycles the level filter."""

    DEBOUNCE_MS = 200

    def __init__(self, path: Path, lake_elsewhere: bool = False) -> None:
        super().__init__(max_lines=KEPT_LINES, id="log", highlight=False, auto_scroll=False)
        self.path = path
        # The lake is on object storage while its app log stays in this machine's logs/: the
        # title says so, or a user would look for it in the bucket.
        self.lake_elsewhere = lake_elsewhere
        self.tail = LogTail(path)
        self.following = True
        self.filter_index = 0  # into FILTERS: ALL
        self.text = ""  # the `/` filter: only lines containing it
        self._raw: deque[str] = deque(maxlen=KEPT_LINES)  # every line read, for a new filter
        self._keep: bool | None = None  # whether the last record read passes the filter
        self.matching = 0  # lines shown through the filters (a wrapped line takes more rows)
        self._size_seen = Size(0, 0)

    def on_mount(self) -> None:
        self._title()
        self.set_timer(FIRST_FRAME_S, self.follow_log)  # the first screen first (LandingPanel)

    # --- the file ------------------------------------------------------------------------

    def repoint(self, path: Path) -> None:
        """Follow `path` from its tail again, as at start: after the lake was swapped (its log
        folder may have been moved with it) or the log moved. The old watch is cancelled."""
        self.path = path
        self.tail = LogTail(path)
        self._raw.clear()
        self.clear()
        self._keep = None
        self.matching = 0
        self.following = True
        self._title()
        self.follow_log()

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
        tail = self.tail
        rotations = tail.rotations
        lines = await asyncio.to_thread(tail.read_new)
        if tail is not self.tail or not self.is_attached:
            return  # re-pointed while reading (these lines are the old file's), or closing
        rotated = tail.rotations != rotations
        if lines or rotated:
            self.add_lines(lines, rotated)

    def add_lines(self, lines: list[str], rotated: bool = False) -> None:
        """New lines of the file (`rotated`: of a new file, which replaces what is shown)."""
        if rotated:
            self._raw.clear()
            self.clear()
            self._keep = None
        self._raw.extend(lines)
        shown, self._keep = filter_lines(lines, self.minimum, self._keep)
        shown = lines_containing(shown, self.text)
        self.matching = (0 if rotated else self.matching) + len(shown)
        if shown or rotated:
            self.write_lines(self.wrapped(shown), scroll_end=False)
            self._to_end()
        if self.text:
            self._title()  # its count of lines shown

    # --- long lines ------------------------------------------------------------------------

    @property
    def wrap_width(self) -> int:
        """Columns a row may take: the panel less its scrollbar's column (kept free whether
        the bar shows or not, so a line does not rewrap when it appears). 0 before layout."""
        return max(0, self.size.width - 1)

    def wrapped(self, lines: Iterable[str]) -> list[str]:
        """`lines` with each longer than the panel broken onto indented continuation rows."""
        width = self.wrap_width
        if width < 20:  # not laid out yet (or absurdly narrow): rewrapped on the next resize
            return list(lines)
        rows: list[str] = []
        for line in lines:
            if len(line) <= width:
                rows.append(line)
            else:
                rows += textwrap.wrap(
                    line,
                    width,
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                    drop_whitespace=False,
                    replace_whitespace=False,
                ) or [line]
        return rows

    def rewrite(self) -> None:
        """Show the kept lines again, through the level filter and wrapped to the width now."""
        shown, self._keep = filter_lines(self._raw, self.minimum)
        shown = lines_containing(shown, self.text)
        self.matching = len(shown)
        self.clear()
        self.write_lines(self.wrapped(shown), scroll_end=False)

    # --- the level filter ----------------------------------------------------------------

    @property
    def minimum(self) -> int:
        return FILTERS[self.filter_index][1]

    @property
    def filter_name(self) -> str:
        return FILTERS[self.filter_index][0]

    def cycle_level(self) -> str:
        """ALL → INFO+ → WARNING+ → ERROR → ALL; the lines kept are shown again through it."""
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self._show_again()
        return self.filter_name

    def filter_text(self, text: str) -> None:
        """Only the lines containing `text` (any case), at the level chosen with `L`."""
        self.text = text
        self._show_again()

    def _show_again(self) -> None:
        self.rewrite()
        self.following = True
        self._to_end()
        self._title()

    def _title(self) -> None:
        parts = [f"{self.path.name} (on this machine)" if self.lake_elsewhere else self.path.name]
        if self.filter_index:
            parts.append(self.filter_name)
        if self.text:
            # The lines kept, not the file's: older lines scroll away (KEPT_LINES).
            parts.append(f"'{self.text}' {self.matching:,} of {len(self._raw):,} lines")
        self.border_title = " · ".join(parts)

    # --- following the end ---------------------------------------------------------------

    def _to_end(self) -> None:
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def on_resize(self, event: events.Resize) -> None:
        # Enlarged (`l`), shrunk back (`l`, Escape) or a new terminal size: the end stays in
        # view. Without this a panel shrunk back keeps the enlarged view's offset and stops
        # following (the bug in issue 15).
        if event.size != self._size_seen:
            rewrap = event.size.width != self._size_seen.width
            self._size_seen = event.size
            self.following = True
            if rewrap and self._raw:
                self.rewrite()
            self.call_after_refresh(self._to_end)

    def action_scroll_up(self) -> None:
        self.following = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.following = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.following = False
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.following = True
        super().action_scroll_end()

    def action_scroll_down(self) -> None:
        super().action_scroll_down()
        self.following = self.scroll_target_y >= self.max_scroll_y

    def action_page_down(self) -> None:
        super().action_page_down()
        self.following = self.scroll_target_y >= self.max_scroll_y

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.following = False

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.following = self.scroll_target_y >= self.max_scroll_y
