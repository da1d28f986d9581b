"""The sales pipeline's declared tables, for the sales code not yet folded into core/blocks
(issue 14 moves it there and deletes this package)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from lakeconsole.core.api import BronzeTable, GoldTable, SilverTable


def _table(name: str) -> object:
    from lakeconsole.core.pipeline import load_pipeline

    declared = load_pipeline().declared
    assert declared is not None
    return declared.declared[name]


def bronze() -> BronzeTable:
    return cast("BronzeTable", _table("bronze/sales_orders_raw"))


def silver() -> SilverTable:
    return cast("SilverTable", _table("silver/sales_orders"))


def gold() -> GoldTable:
    return cast("GoldTable", _table("gold/sales/daily_revenue"))
