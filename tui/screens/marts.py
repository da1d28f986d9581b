"""The mart docs view (OPS-05): marts with their README state, an editor beside a live preview.

Saving checks the required sections and says which are missing (it still saves: a half-written
README is better kept than lost). A change made outside the console is picked up by a
watchfiles worker; a conflicting unsaved edit is never silently overwritten.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Markdown, Static, TextArea

from lakeconsole.core.marts.freshness import UNSCHEDULED
from lakeconsole.core.marts.readme import (
    README,
    Mart,
    MartError,
    ReadmeState,
    gold_dir,
    lake_marts,
    new_mart,
    readme_folder,
    readme_state,
    text_state,
)
from lakeconsole.core.settings import Settings
from lakeconsole.tui.keys import key_of
from lakeconsole.tui.modals import ConfirmScreen
from lakeconsole.tui.screens.view import ConsoleView

PREVIEW_DELAY_S = 0.15
WIDE_FROM = 120  # columns: from here the list, the editor and the preview sit side by side


def _read(path: Path) -> str | None:
    """The README's text ('' when there is none), None when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else ""
    except UnicodeDecodeError:
        return None


def list_label(state: ReadmeState) -> str:
    """The list's short word for a README: which sections, and why, is the status line's job
    (the whole label cut the list at 80 columns and at 120)."""
    if state.status == "incomplete":
        n = len(state.problems)
        return f"{n} section{'s' if n != 1 else ''} to fill"
    return state.label()


@dataclass(frozen=True)
class MartRow:
    mart: Mart
    state: ReadmeState
    freshness: str = ""  # `stale since …`, `fresh, next due …` (core.marts.freshness.mart_line)


class MartsLoaded(Message):
    """The marts and their README states, read by a worker."""

    def __init__(self, rows: list[MartRow]) -> None:
        super().__init__()
        self.rows = rows


class ReadmeChanged(Message):
    """README.md files changed on disk (by anyone, the console included)."""

    def __init__(self, paths: set[Path]) -> None:
        super().__init__()
        self.paths = paths


class DictionaryBuilt(Message):
    """A fresh README text with the column dictionary regenerated from the schemas."""

    def __init__(self, mart: str, text: str) -> None:
        super().__init__()
        self.mart, self.text = mart, text


class MartNameScreen(ModalScreen[str | None]):
    """Asks for a new mart's name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="marts.new.close")
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("New mart", classes="dialog-title")
            yield Static(
                "Folder name under gold/ (e.g. finance). Enter creates README.md from "
                "the template.",
                classes="dialog-body",
            )
            yield Input(placeholder="name", id="mart-name")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MartsScreen(ConsoleView):
    """Marts, their README state, and a README editor with a live preview."""

    CSS_PATH = "marts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="marts.save", priority=True),
        # Not F5: the editor (TextArea) takes F5 to select a word.
        Binding(
            "ctrl+g",
            "columns",
            "Columns",
            id="marts.columns",
            tooltip="Write the column dictionary",
        ),
        Binding(
            "ctrl+n", "new_mart", "New mart", id="marts.new", tooltip="New mart from the template"
        ),
        # A ctrl key: every printable key is typed into the editor.
        Binding(
            "ctrl+t",
            "toggle_preview",
            "Preview",
            id="marts.preview",
            tooltip="Show or hide the preview",
        ),
        Binding("escape", "back", "Back", id="marts.back", tooltip="Back to the dashboard"),
    ]

    # Below 120 columns the list goes above and the editor and its preview take turns
    # (ctrl+t): side by side at 80 each would be ~18 columns wide. (Screen declares it
    # without ClassVar, so mypy refuses one here.)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.rows: dict[str, MartRow] = {}
        self.current: Mart | None = None
        # The README as it was on disk when last loaded or saved: what "unsaved" compares with.
        self.disk_text = ""
        self._preview_timer: Timer | None = None
        self._stop_watch = asyncio.Event()
        self._asking = False

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="marts-body"):
            with Vertical(id="marts-side"):
                yield Label("Marts (OPS-05)", classes="marts-title")
                yield DataTable(id="marts-list", cursor_type="row", zebra_stripes=True)
            with Vertical(id="marts-main"):
                yield Static("", id="marts-status", markup=False)
                with Horizontal(id="marts-panes"):
                    # Tab moves focus (not indent), so escape and the footer keys work here too.
                    yield TextArea("", language="markdown", id="marts-editor", soft_wrap=True)
                    with VerticalScroll(id="marts-preview-box"):
                        yield Markdown("", id="marts-preview")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#marts-list", DataTable)
        table.add_column("mart", key="mart")
        table.add_column("README", key="readme")
        self.query_one("#marts-editor", TextArea).disabled = True
        self.load_marts()
        self.watch_readmes()

    def on_unmount(self) -> None:
        self._stop_watch.set()

    # --- state --------------------------------------------------------------------------

    @property
    def editor(self) -> TextArea:
        return self.query_one("#marts-editor", TextArea)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @property
    def preview_toggled(self) -> bool:
        """Narrow: the preview shows instead of the editor. Wide: the preview is hidden."""
        return self.has_class("-toggled")

    @property
    def dirty(self) -> bool:
        return self.current is not None and self.editor.text != self.disk_text

    def _show_status(self) -> None:
        status = self.query_one("#marts-status", Static)
        if self.current is None:
            status.update(
                f"No marts under {gold_dir(self.settings.lake_root)} yet: "
                "ctrl+n starts one, or run the pipeline."
            )
            return
        state = text_state(self.editor.text)
        parts = [f"{self.current.name}/{README}", state.label()]
        row = self.rows.get(self.current.name)
        if row is not None and row.freshness:
            parts.append(row.freshness)
        if self.dirty:
            parts.append("unsaved changes")
        if self.narrow:
            other = "editor" if self.preview_toggled else "preview"
            parts.append(f"{key_of(self, 'toggle_preview')}: {other}")
        status.update(" · ".join(parts))
        status.set_class(not state.complete, "-incomplete")

    def _set_row(self, row: MartRow) -> None:
        table = self.query_one("#marts-list", DataTable)
        label = list_label(row.state)
        if row.mart.name in table.rows:
            table.update_cell(row.mart.name, "readme", label)
        else:
            table.add_row(row.mart.name, label, key=row.mart.name)
        self.rows[row.mart.name] = row

    # --- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="marts-load")
    def load_marts(self) -> None:
        """Read the marts and their README states (disk) off the UI thread."""
        marts = lake_marts(self.settings)
        fresh = self.freshness()
        self.post_message(
            MartsLoaded([MartRow(m, readme_state(m.path), fresh.get(m.name, "")) for m in marts])
        )

    def freshness(self) -> dict[str, str]:
        """Each mart's freshness by its Refresh Rate, at the console's clock (in the worker: it
        reads the run records); {} when it cannot be judged (the status line then says nothing)."""
        from lakeconsole.core.marts.freshness import mart_freshness, mart_line

        clock = getattr(self.app, "clock", None)
        now = clock() if callable(clock) else None
        try:
            judged = mart_freshness(self.settings, now)
        except Exception:  # the README editor works whatever the run records say
            return {}
        at = now if now is not None else time.time()
        return {m.mart: mart_line(m, at) for m in judged if m.state != UNSCHEDULED}

    @on(MartsLoaded)
    def marts_loaded(self, message: MartsLoaded) -> None:
        for row in message.rows:
            self._set_row(row)
        if self.current is None and message.rows:
            self.open_mart(message.rows[0].mart)
        self._show_status()

    def open_mart(self, mart: Mart) -> None:
        """Show the mart's README in the editor (the template if it has none yet)."""
        from lakeconsole.core.marts.readme import template

        path = mart.path / README
        text = _read(path)
        if text is None:
            self.notify(
                f"{path} is not UTF-8 text: fix or convert it, then open it again.",
                severity="error",
                timeout=10,
            )
            return
        self.current = mart
        self.disk_text = text
        self.editor.disabled = False
        self.editor.load_text(text or template(mart.name))
        self._refresh_preview()
        self._show_status()

    @on(DataTable.RowSelected, "#marts-list")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        if self.current is not None and name == self.current.name:
            self.show_editor()
            return
        row = self.rows.get(name)
        if row is None:
            return
        if not self.dirty:
            self.open_mart(row.mart)
            self.show_editor()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.open_mart(row.mart)

        self.app.push_screen(
            ConfirmScreen(
                f"{self.current.name if self.current else ''}/README.md has unsaved edits. "
                f"Discard them and open {name}?",
                confirm="Discard",
                cancel="Keep editing",
                danger=True,
            ),
            answered,
        )

    # --- editing and preview ------------------------------------------------------------

    @on(TextArea.Changed, "#marts-editor")
    def text_changed(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY_S, self._refresh_preview)
        self._show_status()

    def _refresh_preview(self) -> None:
        self.query_one("#marts-preview", Markdown).update(self.editor.text)

    # --- which panes show -----------------------------------------------------------------

    def show_editor(self) -> None:
        """Focus the editor, bringing it back first when the preview took its place."""
        if self.narrow and self.preview_toggled:
            self.remove_class("-toggled")
            self._show_status()
        self.editor.focus()

    def action_toggle_preview(self) -> None:
        """Narrow: switch between the editor and its preview. Wide: hide or show the preview
        (the editor then takes its width, so fewer lines wrap)."""
        self.toggle_class("-toggled")
        editor_hidden = self.narrow and self.preview_toggled
        if editor_hidden:
            self.query_one("#marts-preview-box").focus()
        elif not self.editor.disabled:
            self.editor.focus()
        self._show_status()

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        # The pane hint in the status line is only there when narrow.
        self.call_after_refresh(self._show_status)

    # --- actions ------------------------------------------------------------------------

    def action_save(self) -> None:
        """Write the README; warn clearly when required sections are missing (OPS-05)."""
        if self.current is None:
            self.notify("No mart is open.", severity="warning")
            return
        text = self.editor.text
        path = self.current.path / README
        try:
            self.current.path.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc.strerror or exc}", severity="error")
            return
        self.disk_text = text
        state = text_state(text)
        held = self.rows.get(self.current.name)
        self._set_row(MartRow(self.current, state, held.freshness if held else ""))
        self._show_status()
        if state.complete:
            self.notify(f"Saved {self.current.name}/{README}: all required sections present.")
        else:
            self.notify(
                f"Saved {self.current.name}/{README}, but it is incomplete (OPS-05): "
                f"{', '.join(state.problems)}. `lakeconsole check` will report it.",
                severity="warning",
                timeout=8,
            )

    def action_columns(self) -> None:
        """Regenerate the column dictionary from the tables' schemas into the editor (unsaved)."""
        if self.current is None:
            return
        self.build_dictionary(self.current, self.editor.text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="marts-columns")
    def build_dictionary(self, mart: Mart, text: str) -> None:
        from lakeconsole.core.contracts import declared_tables
        from lakeconsole.core.marts.dictionary import (
            mart_columns,
            render_block,
            with_block,
            written_descriptions,
        )

        declared = declared_tables(self.settings)
        lake = self.settings.lake_root
        tables = mart_columns(mart, lake, declared, written_descriptions(text))
        self.post_message(DictionaryBuilt(mart.name, with_block(text, render_block(tables))))

    @on(DictionaryBuilt)
    def dictionary_built(self, message: DictionaryBuilt) -> None:
        if self.current is None or message.mart != self.current.name:
            return
        if message.text == self.editor.text:
            self.notify("The column dictionary is already up to date.")
            return
        self.editor.load_text(message.text)
        self._show_status()
        self.notify("Column dictionary regenerated from the schemas: ctrl+s to save.")

    def action_new_mart(self) -> None:
        def created(name: str | None) -> None:
            if not name:
                return
            try:
                new_mart(self.settings.lake_root, name, readme_folder(self.settings))
            except MartError as exc:
                self.notify(str(exc), severity="error", timeout=8)
                return
            self.notify(f"Created gold/{name}/{README} from the template.")
            self.load_marts()

        self.app.push_screen(MartNameScreen(), created)

    def action_back(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "The README has unsaved edits. Leave and lose them?",
                confirm="Leave",
                cancel="Keep editing",
                danger=True,
            ),
            answered,
        )

    # --- changes made outside the console -------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="marts-watch")
    async def watch_readmes(self) -> None:
        """Report README.md changes under gold/ (and new mart folders) as they happen."""
        from watchfiles import awatch

        # The READMEs of a lake in a bucket are kept in the project (readme_folder).
        gold = readme_folder(self.settings) or gold_dir(self.settings.data_dir)
        gold.mkdir(parents=True, exist_ok=True)

        def wanted(_change: object, path: str) -> bool:
            p = Path(path)
            return p.name == README or p.parent == gold

        try:
            async for changes in awatch(
                gold, watch_filter=wanted, stop_event=self._stop_watch, debounce=400, step=50
            ):
                self.post_message(ReadmeChanged({Path(p) for _, p in changes}))
        except (OSError, RuntimeError) as exc:  # e.g. the system's inotify watch limit
            self.notify(
                f"Changes made outside the console are not picked up: {exc}",
                severity="warning",
                timeout=10,
            )

    @on(ReadmeChanged)
    def readme_changed(self, message: ReadmeChanged) -> None:
        self.load_marts()
        if self.current is None:
            return
        path = self.current.path / README
        if path.resolve() not in {p.resolve() for p in message.paths}:
            return
        theirs = _read(path)
        if theirs is None or theirs == self.disk_text:
            return  # our own save, or a touch that changed nothing
        if not self.dirty:
            self.disk_text = theirs
            self.editor.load_text(theirs)
            self._show_status()
            self.notify(f"{self.current.name}/{README} changed on disk: loaded the new version.")
            return
        self._ask_conflict(theirs)

    def _ask_conflict(self, theirs: str) -> None:
        if self._asking or self.current is None:
            return
        self._asking = True
        name = self.current.name

        def answered(load_theirs: bool | None) -> None:
            self._asking = False
            if self.current is None or self.current.name != name:
                return
            # Either way the disk version is now known: saving after "keep mine" overwrites it
            # on purpose.
            self.disk_text = theirs
            if load_theirs:
                self.editor.load_text(theirs)
                self.notify(f"Loaded the version of {name}/{README} from disk.")
            else:
                self.notify("Kept your edits: ctrl+s overwrites the version on disk.")
            self._show_status()

        self.app.push_screen(
            ConfirmScreen(
                f"{name}/{README} was changed outside the console while you have unsaved edits.\n"
                "Load theirs (your edits are lost) or keep yours (saving overwrites theirs)?",
                title="README changed on disk",
                confirm="Load theirs",
                cancel="Keep mine",
            ),
            answered,
        )
