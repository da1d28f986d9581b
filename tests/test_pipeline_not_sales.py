"""Every feature asks the loaded pipeline: a pipeline that is not the sales one gets its own
Z-ORDER columns, keys and contracts (tests/shop_pipeline.py), through the real CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.settings import load_settings
from tests.shop_pipeline import ORDERS, SPEND

Cli = Callable[..., CompletedProcess[str]]
SHOP = "tests.shop_pipeline:steps"


@pytest.fixture
def shop_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "LAKECONSOLE_PIPELINE": SHOP}


@pytest.fixture
def shop_cli(cli: Cli, shop_env: dict[str, str]) -> Cli:
    """`lakeconsole` on a lake the shop pipeline has run twice (orders at versions 0 and 1)."""

    def run(args: list[str]) -> CompletedProcess[str]:
        return cli(args, env=shop_env)

    for _ in range(2):
        done = run(["run", "-q"])
        assert done.returncode == 0, done.stdout + done.stderr
    return run


def test_the_loaded_pipeline_answers_from_its_own_declarations(
    shop_env: dict[str, str],
) -> None:
    shop = load_pipeline(load_settings(shop_env))
    assert list(shop.steps) == ["shop_orders", "customer_spend"]
    assert shop.table("silver/shop_orders") == ORDERS
    assert (ORDERS.key, ORDERS.zorder_by) == (("order_id",), ("customer",))
    assert shop.marts() == {"shop": [SPEND]}
    assert shop.table("silver/sales_orders") is None
    # It has no landing hooks and no checks of its own: the features get "cannot say".
    assert shop.landing_waiting(load_settings(shop_env)) is None
    assert shop.landing_rejected(load_settings(shop_env)) is None
    assert shop.check_findings(load_settings(shop_env)) == []


def test_optimize_zorder_uses_the_columns_the_pipeline_declares(shop_cli: Cli) -> None:
    done = shop_cli(["optimize", "--zorder"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ silver/shop_orders: Z-ORDER by customer: " in done.stdout
    assert "✓ gold/shop/customer_spend: Z-ORDER by spent: " in done.stdout
    assert "names no Z-ORDER columns" not in done.stdout


def test_show_compare_uses_the_key_the_pipeline_declares(shop_cli: Cli) -> None:
    done = shop_cli(["show", "silver/shop_orders", "--compare", "0..1"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "silver/shop_orders: version 0 → 1, by key (order_id)"
    assert "added e.g.: (o2)" in done.stdout
    assert re.search(r"^o1\s+amount\s+1 → 100$", done.stdout, re.M)  # the changed value


def test_check_reads_the_pipelines_contracts(shop_cli: Cli, home: Path) -> None:
    data = home / "data"
    # A table the pipeline does not declare, and a column added by hand to one it does.
    write_deltalake(str(data / "silver/shop_returns"), pa.table({"order_id": ["o1"]}))
    spend = DeltaTable(str(SPEND.path(data))).to_pyarrow_table()
    spend = spend.append_column("region", pa.array(["north"] * spend.num_rows))
    write_deltalake(str(SPEND.path(data)), spend, mode="overwrite", schema_mode="overwrite")

    done = shop_cli(["check"])
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        "OPS-06 silver/shop_returns: no contract: declare its schema and version in the "
        "pipeline definition (tests.shop_pipeline.TABLES), or delete the table's folder if the "
        "pipeline no longer writes it"
    ) in lines
    assert (
        "OPS-06 gold/shop/customer_spend: version not bumped: schema differs from its contract "
        "(removed region) and 1.0.0 is not a major bump from 1.0.0. Declare version 2.0.0 or "
        "later for this table in the pipeline definition."
    ) in lines
    assert not [line for line in lines if line.startswith("OPS-06 silver/shop_orders")]
