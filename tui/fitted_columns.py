"""DataTable columns that fit the width they are given: the most useful kept, the least useful
dropped first, a flexible column cut with an ellipsis rather than pushed off the edge.

A DataTable wider than its screen scrolls sideways, so at 80 columns the last visible column was
cut mid-word ("496.1 K" for KiB) and the ones after it (flags, last vacuum) never seen. The
tables, history and maintenance views lay their columns out with `fit_columns` instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

# DataTable pads each cell by one on either side.
CELL_PADDING = 2
# The vertical scrollbar, kept free so a long list does not push the last column out.
SCROLLBAR = 2

Cell = str | Text


@dataclass(frozen=True)
class Column:
    """A column: `rank` 0 is never dropped, higher ranks go first. A `flex` column asks for
    `width` cells (None: its widest cell), takes more when there is room, and is cut (with …)
    down to `min_width` when rank-0 columns alone do not fit."""

    header: str
    rank: int
    flex: bool = False
    min_width: int = 0
    width: int | None = None


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending in … when something was cut."""
    if cell_len(text) <= width:
        return text
    out = Text(text, no_wrap=True, overflow="ellipsis")
    out.truncate(width, overflow="ellipsis")
    return out.plain


def _width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def fit_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int
) -> list[int | None]:
    """Each column's content width within `width` cells, None for a column left out."""
    natural = [
        max([cell_len(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(columns)
    ]
    asked = [
        min(n, max(c.min_width, c.width if c.width is not None else n)) if c.flex else n
        for n, c in zip(natural, columns, strict=True)
    ]
    shown = set(range(len(columns)))

    def need(widths: Sequence[int]) -> int:
        return sum(widths[i] + CELL_PADDING for i in shown)

    for i in sorted(shown, key=lambda i: -columns[i].rank):
        if need(asked) <= width or columns[i].rank == 0:
            break
        shown.discard(i)
    if need(asked) > width:  # only rank 0 left: cut the flexible ones
        asked = [min(a, c.min_width) if c.flex else a for a, c in zip(asked, columns, strict=True)]
    widths: list[int | None] = [asked[i] if i in shown else None for i in range(len(columns))]
    room = width - need(asked)
    for i in sorted((i for i in shown if columns[i].flex), key=lambda i: columns[i].rank):
        grow = max(0, min(natural[i] - asked[i], room))
        widths[i] = asked[i] + grow
        room -= grow
    return widths


def fit_columns(
    table: DataTable[Any],
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    keys: Sequence[str],
    width: int,
) -> list[int | None]:
    """Rebuild `table` with the columns that fit `width` and the rows' cells cut to them; the
    cursor stays on the same row index. Returns the widths (None: a column left out)."""
    widths = fit_widths(columns, rows, max(width - SCROLLBAR, 1))
    cursor = table.cursor_row
    table.clear(columns=True)
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        table.add_column(cut(columns[i].header, widths[i] or 0), width=widths[i])
    for cells, key in zip(rows, keys, strict=True):
        table.add_row(*(_cut_cell(cells[i], widths[i] or 0) for i in shown), key=key)
    if table.row_count:
        table.move_cursor(row=min(cursor, table.row_count - 1))
    return widths


def _cut_cell(cell: Cell, width: int) -> Cell:
    if isinstance(cell, Text):
        if cell.cell_len <= width:
            return cell
        out = cell.copy()
        out.truncate(width, overflow="ellipsis")
        return out
    return cut(cell, width)
