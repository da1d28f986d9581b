"""Files in data/landing, kept current with watchfiles; new arrivals can start a run.

On an object-store lake the landing prefix cannot be watched: the panel lists it every
LANDING_POLL_SECONDS instead (and after every run), and its title says so.

Which files are still waiting (not ingested) is the pipeline's knowledge, not the console's: the
panel asks the loaded pipeline (`core.pipeline`) for `landing_waiting` (names relative to the
landing folder) and marks the rest as read, and for `landing_rejected` (name → why), and lists
those apart. A pipeline that cannot say answers None and the panel lists the files unmarked.
Which entries are landing files at all is core's one answer (`core.landing.scan_landing`, the
listing bronze reads too): a folder, FIFO or dangling link is listed as skipped, with why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from lakeconsole.core.lake import landing_dir
from lakeconsole.core.landing import scan_landing
from lakeconsole.core.pipeline import LoadedPipeline, loaded_or_none
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, Location, StorageError
from lakeconsole.core.units import human_bytes
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.messages import LandingFiles
from lakeconsole.tui.watching import FIRST_FRAME_S, import_watchfiles

SHOWN_FILES = 50  # a landing folder with thousands of files lists the first ones and a count
SHOWN_REJECTED = 5


def look(settings: Settings, pipeline: LoadedPipeline | None) -> LandingFiles:
    """One listing, with what is waiting when the pipeline can say. Blocking: call in a thread."""
    try:
        landing = scan_landing(landing_dir(settings.lake_root))
    except (OSError, StorageError) as exc:
        return LandingFiles([], error=str(exc))
    return LandingFiles(
        [(Path(f.name), f.size) for f in landing.files],
        _ask(pipeline.landing_waiting if pipeline else None, settings),
        rejected=_ask(pipeline.landing_rejected if pipeline else None, settings),
        skipped=[(s.name, s.reason) for s in landing.skipped],
    )


def _ask(hook: Callable[[Settings], Any] | None, settings: Settings) -> Any:
    try:
        return hook(settings) if hook is not None else None
    except Exception:  # the list is still worth showing without the marks
        return None


def size_text(n: int) -> str:
    return human_bytes(n)


def describe(message: LandingFiles) -> tuple[str, str]:
    """(panel title, panel text) for one listing."""
    files, waiting = message.files, message.waiting
    skipped = _skipped_text(message.skipped)
    if not files:
        return "Landing", "\n".join(["no files in landing", *skipped])
    if waiting is None:
        shown, rest = files, ""
        title = f"Landing · {len(files)}"
    else:
        shown = [(p, size) for p, size in files if str(p) in waiting]
        rest = _read_text(files, waiting, message.rejected)
        title = f"Landing · {len(shown)} waiting"
        if not shown:
            return title, "\n".join(["nothing waiting", *filter(None, [rest]), *skipped])
    lines = [f"{p}  {size_text(size)}" for p, size in shown[:SHOWN_FILES]]
    if len(shown) > SHOWN_FILES:
        lines.append(f"… and {len(shown) - SHOWN_FILES} more")
    return title, "\n".join([*lines, *filter(None, [rest]), *skipped])


def _skipped_text(skipped: list[tuple[str, str]]) -> list[str]:
    """Entries that are not landing files, each with why: bronze names the same in its run."""
    lines = [f"⊘ {name} skipped: {why}" for name, why in skipped[:SHOWN_REJECTED]]
    if len(skipped) > SHOWN_REJECTED:
        lines.append(f"⊘ … and {len(skipped) - SHOWN_REJECTED} more skipped")
    return lines


def _read_text(
    files: list[tuple[Path, int]], waiting: set[str], rejected: dict[str, str] | None
) -> str:
    """The files that are not waiting: ingested, and (when the pipeline says) rejected, each
    named with why, since they stay in place until fixed or removed."""
    done = [str(p) for p, _ in files if str(p) not in waiting]
    if rejected is None:
        return f"✓ {len(done)} read (ingested or rejected)" if done else ""
    refused = [name for name in done if name in rejected]
    lines = [f"✓ {len(done) - len(refused)} ingested"] if len(done) > len(refused) else []
    for name in refused[:SHOWN_REJECTED]:
        lines.append(f"✗ {name}: {rejected[name]}")
    if len(refused) > SHOWN_REJECTED:
        lines.append(f"✗ … and {len(refused) - SHOWN_REJECTED} more rejected")
    return "\n".join(lines)


class LandingPanel(VerticalScroll):
    """The landing folder's files; posts FilesArrived when new names appear."""

    # watchfiles waits this long for a burst of changes to settle (a big copy is many events).
    DEBOUNCE_MS = 300

    class FilesArrived(Message):
        """Files that were not there at the previous look."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    class Listed(Message):
        """A listing from `rescan`, of the lake the panel watched when it started."""

        def __init__(self, listing: LandingFiles, generation: int) -> None:
            super().__init__()
            self.listing = listing
            self.generation = generation

    def __init__(self, settings: Settings, auto_run: bool) -> None:
        super().__init__(id="landing")
        self.settings = settings
        self.folder: LakePath = landing_dir(settings.lake_root)
        self.auto_run = auto_run
        self.files: list[tuple[Path, int]] = []
        self._seen: set[str] | None = None  # None until the first listing
        self._pipeline: LoadedPipeline | None = None
        self._generation = 0  # one more at each repoint: a listing of the lake before is dropped

    def compose(self) -> ComposeResult:
        yield Static("looking…", id="landing-files", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Landing"
        self._subtitle()
        # Once the first screen is drawn (a widget's own refresh comes before the screen's):
        # listing asks the pipeline's ledger (pyarrow's import) and watching imports watchfiles;
        # both would hold up the first frame (measured: 20-70 ms of a 0.6 s start).
        self.set_timer(FIRST_FRAME_S, self.watch_landing)

    def set_auto_run(self, on: bool) -> None:
        self.auto_run = on
        self._subtitle()

    def _subtitle(self) -> None:
        key = key_of(self.screen, "toggle_auto_run") if self.is_attached else "a"
        self.border_subtitle = f"{key}: auto-run {'on' if self.auto_run else 'off'}"

    @work(exclusive=True, exit_on_error=False, group="landing")
    async def watch_landing(self) -> None:
        """List now, then again after every change (the listing runs in a thread)."""
        # The console loaded it already (loaded once per process): this is the same object.
        self._pipeline = await asyncio.to_thread(loaded_or_none, self.settings)
        folder = self.folder
        if isinstance(folder, Location):  # a bucket sends no change events: list it again
            await self.rescan()
            while True:
                await asyncio.sleep(self.settings.landing_poll_seconds)
                await self.rescan()
        watchfiles = await asyncio.to_thread(import_watchfiles)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        await self.rescan()
        async for _changes in watchfiles.awatch(folder, debounce=self.DEBOUNCE_MS, step=50):
            await self.rescan()

    def repoint(self, settings: Settings) -> None:
        """Watch the landing folder of the lake in `settings` afresh: after a restore the old
        watch follows the folder moved aside. The files there now are the first look again
        (none counts as new: auto-run waits for a file that lands from now on)."""
        self.settings = settings
        self.folder = landing_dir(settings.lake_root)
        self.files, self._seen = [], None
        self._generation += 1
        self.query_one("#landing-files", Static).update("looking…")
        self.watch_landing()  # exclusive: the old watch is cancelled

    async def rescan(self) -> None:
        """Look again (also after a run, when files stop waiting without changing)."""
        generation = self._generation
        listing = await asyncio.to_thread(look, self.settings, self._pipeline)
        # A message, not a call: one that comes after the panel is gone is dropped.
        self.post_message(self.Listed(listing, generation))

    def on_landing_panel_listed(self, message: Listed) -> None:
        message.stop()
        if message.generation == self._generation:  # not re-pointed since: the lake shown
            self.show_listing(message.listing)

    def on_landing_files(self, message: LandingFiles) -> None:
        message.stop()
        self.show_listing(message)

    def show_listing(self, message: LandingFiles) -> None:
        """One listing: the files, the title, and FilesArrived for names new since the last."""
        text = self.query_one("#landing-files", Static)
        text.set_class(bool(message.error), "-error")  # an error wraps: its end is the fix
        if message.error:
            # Not the last count: what waits is unknown until the folder or bucket answers.
            self.border_title = "Landing · cannot list"
            text.update(f"cannot read {self.folder}: {message.error}")
            return
        self.files = message.files
        self.border_title, body = describe(message)
        if isinstance(self.folder, Location):  # not watched: say how soon a new object shows
            body += f"\n↻ listed every {self.settings.landing_poll_seconds} s"
        text.update(body)
        names = {str(p) for p, _ in message.files}
        new = sorted(names - self._seen) if self._seen is not None else []
        self._seen = names
        if new:
            self.post_message(self.FilesArrived(new))
