"""The gold block on a pipeline that is not the sales one: pending partitions of any type,
sql= and function gold tables, an unpartitioned table, the declared schema enforced, the
generic mart README, and `check` on a gold table restored by hand."""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from lakeconsole import Pipeline, StepContext, col
from lakeconsole.core.api import GoldTable, SilverTable
from lakeconsole.core.blocks import gold as gold_block
from lakeconsole.core.blocks.custom import run_custom
from lakeconsole.core.blocks.pending import add_pending, partition_column, readers
from lakeconsole.core.blocks.state_check import state_findings
from lakeconsole.core.dag import PipelineError
from lakeconsole.core.settings import Settings
from tests.table_opens import count_table_opens

SQL = (
    "SELECT store, shelf, COUNT(*) AS items, SUM(price) AS value FROM stock "
    "WHERE store IN {changed} GROUP BY store, shelf"
)


def _shop(
    rows: list[list[tuple[int, str, int]]], compute: Any = None, wider: bool = False
) -> Pipeline:
    """silver/stock (store, shelf, price) written by a step from `rows` (one list per run),
    read by gold/stock/by_shelf (partitioned by store, an int) and gold/stock/total (whole).
    `wider`: by_shelf's declaration bumped to 1.1.0 with one more column, `top`."""
    shop = Pipeline("shop")
    stock = shop.table(
        "silver/stock",
        columns=[col("store", "int64"), col("shelf", "string"), col("price", "int64")],
        key=("store", "shelf", "price"),
        partition_by=("store",),
    )

    @shop.step(writes=[stock])
    def load(ctx: Any) -> None:
        batch = rows.pop(0)
        data = pa.table(
            {k: [r[i] for r in batch] for i, k in enumerate(("store", "shelf", "price"))}
        )
        ctx.overwrite(stock, data)

    top = [col("top", "int64")] if wider else []
    shop.gold(
        "gold/stock/by_shelf",
        reads=[stock],
        columns=[
            col("store", "int64"),
            col("shelf", "string"),
            col("items", "int64"),
            col("value", "int64"),
            *top,
        ],
        key=("store", "shelf"),
        partition_by=("store",),
        version="1.1.0" if wider else "1.0.0",
        sql=SQL.replace("SELECT", "SELECT max(price) AS top,", 1) if wider else SQL,
    )

    def total(ctx: Any, changed: Any) -> pa.Table:
        assert changed is None  # unpartitioned: recomputed whole
        rows = ctx.read("silver/stock", ["price"])
        return pa.table({"value": [sum(rows.column("price").to_pylist())], "n": [rows.num_rows]})

    shop.gold(
        "gold/stock/total",
        reads=[stock],
        columns=[col("n", "int64"), col("value", "int64")],
        key=("n",),
    )(compute or total)
    return shop


def _ctx(settings: Settings) -> StepContext:
    return StepContext(settings, "run-1", "gold", lambda *a: None, threading.Event())


def _gold(shop: Pipeline, name: str) -> GoldTable:
    table = shop.declared[name]
    assert isinstance(table, GoldTable)
    return table


def _silver_run(settings: Settings, shop: Pipeline, changed_stores: set[str]) -> None:
    """The step writes silver; then, as the silver block does, the gold tables are told."""
    run_custom(_ctx(settings), shop._custom[0])
    for g in (_gold(shop, "gold/stock/by_shelf"), _gold(shop, "gold/stock/total")):
        add_pending(settings, g, changed_stores if partition_column(g) else {"*"})


def _table(settings: Settings, name: str) -> DeltaTable:
    return DeltaTable(str(settings.data_dir / name))


def _rows(settings: Settings, name: str) -> list[dict[str, Any]]:
    rows = pa.table(_table(settings, name).to_pyarrow_table()).to_pylist()
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


FIRST = [(1, "a", 10), (1, "a", 5), (1, "b", 7), (2, "a", 3)]
SECOND = [(1, "a", 10), (1, "a", 5), (1, "b", 7), (2, "a", 3), (2, "c", 4)]


def test_first_build_then_only_the_changed_partition_is_rewritten(settings: Settings) -> None:
    shop = _shop([FIRST, SECOND])
    by_shelf = _gold(shop, "gold/stock/by_shelf")
    assert readers(shop.declared["silver/stock"]) == [by_shelf, _gold(shop, "gold/stock/total")]
    _silver_run(settings, shop, {"1", "2"})
    first = gold_block.run(_ctx(settings), by_shelf)
    assert first.details["dates_recomputed"] == 2
    assert _rows(settings, by_shelf.name) == [
        {"store": 1, "shelf": "a", "items": 2, "value": 15},
        {"store": 1, "shelf": "b", "items": 1, "value": 7},
        {"store": 2, "shelf": "a", "items": 1, "value": 3},
    ]
    assert _table(settings, by_shelf.name).metadata().partition_columns == ["store"]

    _silver_run(settings, shop, {"2"})  # store 2 got shelf c
    again = gold_block.run(_ctx(settings), by_shelf)
    assert (again.details["dates_recomputed"], again.details["dates_rewritten"]) == (1, 1)
    last = _table(settings, by_shelf.name).history(1)[0]
    predicate = last["operationParameters"]["predicate"]
    assert last["operation"] == "WRITE" and "2" in predicate and "1" not in predicate
    assert last["operationMetrics"]["num_removed_files"] == 1  # store 1's file is untouched
    assert {"store": 2, "shelf": "c", "items": 1, "value": 4} in _rows(settings, by_shelf.name)

    # Nothing pending: the next run reads nothing and writes nothing.
    version = _table(settings, by_shelf.name).version()
    assert gold_block.run(_ctx(settings), by_shelf).details["dates_recomputed"] == 0
    assert _table(settings, by_shelf.name).version() == version


def test_an_unpartitioned_gold_table_is_rewritten_only_when_it_changed(settings: Settings) -> None:
    shop = _shop([FIRST, FIRST])
    total = _gold(shop, "gold/stock/total")
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), total)
    assert _rows(settings, total.name) == [{"n": 4, "value": 25}]
    version = _table(settings, total.name).version()
    _silver_run(settings, shop, {"1", "2"})  # the same rows again
    result = gold_block.run(_ctx(settings), total)
    assert result.details["dates_rewritten"] == 0
    assert _table(settings, total.name).version() == version


def test_a_function_missing_a_declared_column_fails_naming_it_and_writes_nothing(
    settings: Settings,
) -> None:
    def wrong(ctx: Any, changed: Any) -> pa.Table:
        return pa.table({"n": [1], "worth": [2]})

    shop = _shop([FIRST], compute=wrong)
    total = _gold(shop, "gold/stock/total")
    _silver_run(settings, shop, {"1"})
    with pytest.raises(
        PipelineError,
        match=r"wrong\(\) returned rows that lack value and have columns it does not declare \(worth\)",
    ):
        gold_block.run(_ctx(settings), total)
    assert _rows(settings, total.name) == []


def test_a_mart_without_a_template_gets_the_generic_readme(settings: Settings) -> None:
    shop = _shop([FIRST])
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), _gold(shop, "gold/stock/by_shelf"))
    text = (settings.data_dir / "gold" / "stock" / "README.md").read_text()
    assert text.startswith("# Mart `stock`") and "## Business Definition" in text


def test_check_names_a_gold_table_restored_by_hand_and_gold_then_recomputes_it(
    settings: Settings,
) -> None:
    shop = _shop([FIRST, SECOND])
    by_shelf = _gold(shop, "gold/stock/by_shelf")
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), by_shelf)
    _silver_run(settings, shop, {"2"})
    gold_block.run(_ctx(settings), by_shelf)
    assert state_findings(settings, shop) == []
    _table(settings, by_shelf.name).restore(1)

    findings = state_findings(settings, shop)
    assert [f.subject for f in findings] == [by_shelf.name]
    assert (
        "restored to version 1" in findings[0].message and "lakeconsole run" in findings[0].message
    )
    result = gold_block.run(_ctx(settings), by_shelf)
    assert result.details["dates_recomputed"] == 2 and result.warnings
    assert {"store": 2, "shelf": "c", "items": 1, "value": 4} in _rows(settings, by_shelf.name)
    assert state_findings(settings, shop) == []


def test_the_sales_silver_is_read_by_its_gold_partitioned_by_order_date() -> None:
    from lakeconsole.pipelines.sales import pipeline as sales

    silver = sales.declared["silver/sales_orders"]
    assert isinstance(silver, SilverTable)
    (gold,) = readers(silver)
    assert gold.name == "gold/sales/daily_revenue" and partition_column(gold) == "order_date"


def test_a_pending_value_not_of_the_column_type_means_recompute_all(settings: Settings) -> None:
    from lakeconsole.core.blocks.state import state_path

    shop = _shop([FIRST])
    by_shelf = _gold(shop, "gold/stock/by_shelf")
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), by_shelf)
    state_path(settings, by_shelf, "pending").write_text('{"dates": ["two"]}')
    result = gold_block.run(_ctx(settings), by_shelf)
    assert result.details["dates_recomputed"] == 2
    assert "not int64" in result.warnings[0]


def test_an_increment_opens_gold_twice_and_its_pending_mark_is_the_new_version(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening reads the table's log (15-30 ms at 10M rows): once for the checks, once to write;
    the stamp check and the pending file's mark use the object the overwrite went through."""
    from lakeconsole.core.blocks.pending import load_pending
    from lakeconsole.core.blocks.table_marks import mark_of

    shop = _shop([FIRST, SECOND])
    by_shelf = _gold(shop, "gold/stock/by_shelf")
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), by_shelf)
    _silver_run(settings, shop, {"2"})
    gold_path = str(settings.data_dir / by_shelf.name)
    opened = count_table_opens(monkeypatch)
    again = gold_block.run(_ctx(settings), by_shelf)
    monkeypatch.undo()
    assert again.details["dates_rewritten"] == 1
    # Two by the block (checks, write); two by the README's column refresh (core.marts).
    assert opened.count(gold_path) <= 4
    state, unusable = load_pending(settings, by_shelf)
    assert not unusable and state["tables"]["gold"] == mark_of(_table(settings, by_shelf.name))


def test_a_run_with_nothing_new_opens_no_gold_table_and_a_changed_declaration_still_applies(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing pending, the declaration the last run checked, gold where it left it: the run
    opens nothing. A bumped declaration (a column added) is still applied without new data,
    and gold restored by hand is still seen: the quick path only skips what would find nothing."""
    shop = _shop([FIRST])
    by_shelf = _gold(shop, "gold/stock/by_shelf")
    _silver_run(settings, shop, {"1", "2"})
    gold_block.run(_ctx(settings), by_shelf)
    gold_path = str(settings.data_dir / by_shelf.name)
    opened = count_table_opens(monkeypatch)
    quiet = gold_block.run(_ctx(settings), by_shelf)
    monkeypatch.undo()
    assert quiet.details["dates_recomputed"] == 0 and gold_path not in opened

    # Gold restored by hand to its first version: the next run recomputes every store.
    version = _table(settings, by_shelf.name).version()
    _table(settings, by_shelf.name).restore(0)
    assert _table(settings, by_shelf.name).version() == version + 1
    again = gold_block.run(_ctx(settings), by_shelf)
    assert again.details["dates_recomputed"] == 2 and again.warnings

    # A bumped declaration with one more column: applied by a run with nothing pending.
    wider = _shop([FIRST], wider=True)
    applied = gold_block.run(_ctx(settings), _gold(wider, "gold/stock/by_shelf"))
    assert applied.details["dates_recomputed"] == 2
    assert "top" in _table(settings, by_shelf.name).schema().to_arrow().names


def test_gold_reads_a_chunk_of_at_most_rows_per_read_source_rows_and_gets_the_same_table(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lake ten times bigger over the same days holds ten times the rows a day: the chunks of
    partitions gold recomputes are cut by the source's rows (from its file statistics) as well
    as by VALUES_PER_READ, so memory stays what it is at 10M; the result does not change."""
    assert gold_block._chunks(["a", "b", "c"], None) == [["a", "b", "c"]]
    monkeypatch.setattr(gold_block, "ROWS_PER_READ", 6)
    assert gold_block._chunks(["a", "b", "c"], {"a": 5, "b": 5, "c": 1}) == [["a"], ["b", "c"]]
    assert gold_block._chunks(["a", "b"], {"a": 9}) == [["a"], ["b"]]  # too big: a chunk alone

    whole = _shop([FIRST])
    _silver_run(settings, whole, {"1", "2"})
    by_shelf = _gold(whole, "gold/stock/by_shelf")
    stock = _table(settings, "silver/stock")
    rows = gold_block._rows_per_value(by_shelf, "store", {"stock": stock})
    assert rows == {"1": 3, "2": 1}
    monkeypatch.setattr(gold_block, "ROWS_PER_READ", 1)  # one store a chunk
    seen: list[list[Any]] = []
    compute = gold_block._compute

    def spy(ctx: Any, table: Any, sources: Any, chunk: list[Any], *context: Any) -> Any:
        seen.append(list(chunk))
        return compute(ctx, table, sources, chunk, *context)

    monkeypatch.setattr(gold_block, "_compute", spy)
    gold_block.run(_ctx(settings), by_shelf)
    assert sorted(seen) == [[1], [2]]
    assert _rows(settings, by_shelf.name) == [
        {"store": 1, "shelf": "a", "items": 2, "value": 15},
        {"store": 1, "shelf": "b", "items": 1, "value": 7},
        {"store": 2, "shelf": "a", "items": 1, "value": 3},
    ]
