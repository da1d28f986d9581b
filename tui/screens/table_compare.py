"""Dialogs of the table explorer: the result of a compare, and asking for key columns."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from lakeconsole.core.explorer.compare import Comparison
from lakeconsole.tui.keys import key_of


class CompareScreen(ModalScreen[None]):
    """Rows added, removed and changed by key between two versions, with example keys, and the
    first page of changed keys with each changed column's value before → after."""

    CSS_PATH = "tables.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="compare.close"),
        Binding("enter", "close", "Close", id="compare.ok", show=False),
    ]

    def __init__(self, name: str, result: Comparison) -> None:
        super().__init__(classes="dialog")
        self.table_name, self.result = name, result

    def compose(self) -> ComposeResult:
        r = self.result
        with Vertical(id="compare-box"):
            yield Label(
                f"{self.table_name}: version {r.old} → {r.new}, by key ({', '.join(r.keys)})",
                classes="title",
            )
            yield DataTable(id="compare-counts", cursor_type="none", show_cursor=False)
            yield Static(self._samples(), id="compare-samples", markup=False)
            if r.changed_rows:
                yield Label(self._values_title(), id="compare-values-title", classes="title")
                yield DataTable(id="compare-values", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#compare-counts", DataTable)
        table.add_columns("Rows", "Count")
        r = self.result
        for label, value in (
            ("added", r.added),
            ("removed", r.removed),
            ("changed", r.changed),
            ("unchanged", r.unchanged),
        ):
            table.add_row(label, f"{value:,}")
        if r.changed_rows:
            from lakeconsole.core.explorer.compare import value_rows

            values = self.query_one("#compare-values", DataTable)
            values.add_columns(*r.keys, "Column", "Before → after")
            values.add_rows(value_rows(r.changed_rows))

    def _values_title(self) -> str:
        r = self.result
        shown = len(r.changed_rows)
        if shown < r.changed:
            return f"Changed values: the first {shown} of {r.changed:,} changed keys, by key"
        return f"Changed values: every changed key ({shown}), by key"

    def _samples(self) -> str:
        r = self.result
        lines = []
        if not r.schema.empty:
            lines.append("Schema changes: " + "; ".join(r.schema.lines()))
        lines.append("Compared columns: " + (", ".join(r.compared_columns) or "(keys only)"))
        for kind in ("added", "removed"):  # changed keys come with their values, below
            sample = r.samples.get(kind) or []
            if sample:
                keys = ", ".join(
                    "(" + ", ".join(str(v) for v in row.values()) + ")" for row in sample[:8]
                )
                lines.append(f"{kind.capitalize()}, e.g.: {keys}")
        return "\n".join(lines)

    def action_close(self) -> None:
        self.dismiss(None)


class KeysScreen(ModalScreen[str | None]):
    """Ask for the key columns of a table whose key is not known."""

    CSS_PATH = "tables.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="keys.close"),
    ]

    def __init__(self, reason: str) -> None:
        super().__init__(classes="dialog")
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-box"):
            yield Static(self.reason, markup=False)
            yield Static("", id="keys-how", markup=False)
            yield Input(placeholder="key columns, e.g. order_id,line_no", id="keys-input")

    def on_mount(self) -> None:
        # The console's way to give keys (the core's reason is shared with the CLI's --key).
        self.query_one("#keys-how", Static).update(
            "Type them below, separated by commas, and press Enter to compare "
            f"({key_of(self, 'cancel')}: cancel)."
        )

    @on(Input.Submitted, "#keys-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
