"""A pipeline that is not the sales one (LAKECONSOLE_PIPELINE=tests.shop_pipeline:steps).

Two tables declared with core's types, each with its own key and Z-ORDER columns, so a test can
see that optimize, compare and check ask the loaded pipeline rather than the sales package.
Each run MERGEs two orders by key (one new, one changed) and recounts the gold table.
"""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.dag import Step, StepContext, StepResult
from lakeconsole.core.events import Layer
from lakeconsole.core.schema_version import commit_properties
from lakeconsole.core.tables import Column, TableSpec

ORDERS = TableSpec(
    name="silver/shop_orders",
    layer="silver",
    columns=(
        Column("order_id", pa.string(), "Order identifier"),
        Column("customer", pa.string(), "Who ordered"),
        Column("amount", pa.int64(), "Amount in cents"),
    ),
    version="1.0.0",
    description="One row per shop order.",
    key=("order_id",),
    zorder_by=("customer",),
)

SPEND = TableSpec(
    name="gold/shop/customer_spend",
    layer="gold",
    columns=(
        Column("customer", pa.string(), "Who ordered"),
        Column("orders", pa.int64(), "Orders placed"),
        Column("spent", pa.int64(), "Σ amount in cents"),
    ),
    version="1.0.0",
    description="What each customer spent (mart shop).",
    key=("customer",),
    zorder_by=("spent",),
    mart="shop",
)

TABLES = {spec.name: spec for spec in (ORDERS, SPEND)}


def _orders(ctx: StepContext) -> StepResult:
    path = ORDERS.path(ctx.data_dir)
    run = DeltaTable(str(path)).version() + 1 if (path / "_delta_log").is_dir() else 0
    batch = pa.table(
        {
            "order_id": [f"o{run}", f"o{run + 1}"],
            "customer": [f"c{run % 2}", f"c{(run + 1) % 2}"],
            "amount": [100 * run, 100 * run + 1],
        },
        schema=ORDERS.schema,
    )
    stamp = commit_properties(ORDERS.version)
    if run == 0:
        write_deltalake(str(path), batch, mode="overwrite", commit_properties=stamp)
    else:
        (
            DeltaTable(str(path))
            .merge(batch, "t.order_id = s.order_id", "s", "t", commit_properties=stamp)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    return StepResult(records_in=2, records_out=2)


def _spend(ctx: StepContext) -> StepResult:
    orders = DeltaTable(str(ORDERS.path(ctx.data_dir))).to_pyarrow_table()
    grouped = orders.group_by("customer").aggregate([("order_id", "count"), ("amount", "sum")])
    spend = pa.table(
        {
            "customer": grouped["customer"],
            "orders": grouped["order_id_count"],
            "spent": grouped["amount_sum"],
        },
        schema=SPEND.schema,
    )
    write_deltalake(
        str(SPEND.path(ctx.data_dir)),
        spend,
        mode="overwrite",
        commit_properties=commit_properties(SPEND.version),
    )
    return StepResult(records_in=orders.num_rows, records_out=spend.num_rows)


def steps() -> list[Step]:
    return [
        Step("shop_orders", Layer.SILVER, _orders, outputs=(ORDERS.name,)),
        Step("customer_spend", Layer.GOLD, _spend, ("shop_orders",), outputs=(SPEND.name,)),
    ]
