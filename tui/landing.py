"""Files waiting in data/landing, kept current with watchfiles; new arrivals can start a run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.dag_view import count
from tui.messages import LandingFiles

SHOWN_FILES = 50  # a landing folder with thousands of files lists the first ones and a count


def list_landing(folder: Path) -> list[tuple[Path, int]]:
    """Data files under the landing folder (hidden and `_` files are partial writes or markers)."""
    files: list[tuple[Path, int]] = []
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        try:
            if path.is_file():
                files.append((rel, path.stat().st_size))
        except OSError:
            continue  # removed while we looked
    return files


def size_text(n: int) -> str:
    return f"{count(n)}B" if n >= 1000 else f"{n} B"


class LandingPanel(VerticalScroll):
    """The landing folder's files; posts FilesArrived when new names appear."""

    # watchfiles waits this long for a burst of changes to settle (a big copy is many events).
    DEBOUNCE_MS = 300

    class FilesArrived(Message):
        """Files that were not there at the previous look."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    def __init__(self, folder: Path, auto_run: bool) -> None:
        super().__init__(id="landing")
        self.folder = folder
        self.auto_run = auto_run
        self.files: list[tuple[Path, int]] = []
        self._seen: set[str] | None = None  # None until the first listing

    def compose(self) -> ComposeResult:
        yield Static("looking…", id="landing-files", markup=False)

    def on_mount(self) -> None:
        self._title()
        self.watch_landing()

    def set_auto_run(self, on: bool) -> None:
        self.auto_run = on
        self._title()

    def _title(self) -> None:
        n = f" · {len(self.files)}" if self.files else ""
        self.border_title = f"Landing{n}"
        self.border_subtitle = f"a: auto-run {'on' if self.auto_run else 'off'}"

    @work(exclusive=True, exit_on_error=False, group="landing")
    async def watch_landing(self) -> None:
        """List now, then again after every change (the listing runs in a thread)."""
        from watchfiles import awatch

        await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
        await self._list()
        async for _changes in awatch(self.folder, debounce=self.DEBOUNCE_MS, step=50):
            await self._list()

    async def _list(self) -> None:
        try:
            files = await asyncio.to_thread(list_landing, self.folder)
        except OSError as exc:
            self.post_message(LandingFiles([], error=str(exc)))
            return
        self.post_message(LandingFiles(files))

    def on_landing_files(self, message: LandingFiles) -> None:
        message.stop()
        self.files = message.files
        self._title()
        text = self.query_one("#landing-files", Static)
        if message.error:
            text.update(f"cannot read {self.folder}: {message.error}")
            return
        names = {str(p) for p, _ in message.files}
        if not message.files:
            text.update("no files waiting")
        else:
            lines = [f"{p}  {size_text(size)}" for p, size in message.files[:SHOWN_FILES]]
            if len(message.files) > SHOWN_FILES:
                lines.append(f"… and {len(message.files) - SHOWN_FILES} more")
            text.update("\n".join(lines))
        new = sorted(names - self._seen) if self._seen is not None else []
        self._seen = names
        if new:
            self.post_message(self.FilesArrived(new))
