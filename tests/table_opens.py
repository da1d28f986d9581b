"""Counting the tables a step opens: opening a Delta table reads its log (15-30 ms at 10M rows),
so how often a run does it is behaviour worth pinning down."""

from __future__ import annotations

from typing import Any

import pytest
from deltalake import DeltaTable


def count_table_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on (until `monkeypatch.undo()`), every DeltaTable(...) opening's table URI, in
    order; the tables still open as usual."""
    opened: list[str] = []
    init = DeltaTable.__init__

    def counting(self: DeltaTable, table_uri: Any, *args: Any, **kwargs: Any) -> None:
        opened.append(str(table_uri))
        init(self, table_uri, *args, **kwargs)

    monkeypatch.setattr(DeltaTable, "__init__", counting)
    return opened
