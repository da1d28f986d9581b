"""Dialogs every view can reuse.

API (for the tables, maintenance, backup and marts views):

    ConfirmScreen(question, *, title="Are you sure?", confirm="Yes", cancel="No", danger=False)
        A ModalScreen[bool]: True when the user confirms (button, `y`), False on cancel (button,
        `n`, `escape`). Its footer names the keys with the buttons' words (`y Restore n No`).
        From a worker:  `ok = await self.app.push_screen_wait(ConfirmScreen(...))`;
        from a handler:  `self.app.push_screen(ConfirmScreen(...), callback)`.
        `danger=True` styles the confirm button as an error (vacuum under 168 h, restore).

    ErrorScreen(message, *, title="Something went wrong", where="")
        A ModalScreen[None] that shows what failed and `where` to look (e.g. "logs/app.log,
        step silver_orders"). Closed with `escape`, `enter` or the button.

    DialogFooter
        The bottom row of every console dialog: its own keys (the console's keys do nothing while
        a dialog is open, so the footer of the screen under it must not show through). The app
        gives one to each dialog it opens (`give_own_footer`); a dialog need not yield it.

Styles are in console.tcss (the app's CSS_PATH), so they follow the theme and NO_COLOR.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Label, Static


class DialogFooter(Footer):
    """A dialog's keys in the terminal's bottom row, over the footer of the screen below."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)


def give_own_footer(screen: Screen[object]) -> None:
    """A console dialog just opened: its own keys in the bottom row (once composed), unless it
    has a footer already. Textual's own dialogs (the command palette) are left as they are."""
    if isinstance(screen, ModalScreen) and type(screen).__module__.startswith("lakeconsole."):
        screen.call_later(_mount_footer, screen)


def _mount_footer(screen: Screen[object]) -> None:
    if screen.is_attached and not screen.query(Footer):
        screen.mount(DialogFooter())


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with True (confirmed) or False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        question: str,
        *,
        title: str = "Are you sure?",
        confirm: str = "Yes",
        cancel: str = "No",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        self.question, self.title_text = question, title
        self.confirm_label, self.cancel_label, self.danger = confirm, cancel, danger
        # The footer says what the buttons say ('y Restore', not 'y Yes' beside a Restore
        # button): this dialog's own bindings, relabelled (remaps still apply, by id).
        labels = {"confirm.yes": confirm, "confirm.no": cancel}
        self._bindings.key_to_bindings = {
            key: [replace(b, description=labels.get(b.id or "", b.description)) for b in found]
            for key, found in self._bindings.key_to_bindings.items()
        }

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.cancel_label, id="cancel")
                yield Button(
                    self.confirm_label, id="confirm", variant="error" if self.danger else "primary"
                )

    def on_mount(self) -> None:
        # The safe answer has the focus, so a stray Enter does not confirm a destructive action.
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ErrorScreen(ModalScreen[None]):
    """What failed and where to look."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter presses the focused Close button.
        Binding("escape", "close", "Close", id="error.close")
    ]

    def __init__(
        self, message: str, *, title: str = "Something went wrong", where: str = ""
    ) -> None:
        super().__init__(classes="dialog error-dialog")
        self.message, self.title_text, self.where = message, title, where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-body", markup=False, id="error-message")
            if self.where:
                yield Static(f"Where to look: {self.where}", classes="dialog-where", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
