"""The pipeline API refuses a wrong declaration when the pipeline loads, naming the table and
the fix, and infers the DAG from what each table reads (issue 14)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lakeconsole import DeclarationError, Pipeline, col, landing, rule
from lakeconsole.core.dag import Pipeline as Dag
from lakeconsole.core.events import Layer


def _shop() -> tuple[Pipeline, object, object]:
    shop = Pipeline("shop")
    raw = shop.bronze(
        "bronze/orders_raw", source=landing("orders_*.csv", columns=["id", "ts", "n"])
    )
    orders = shop.silver(
        "silver/orders",
        from_=raw,
        columns=[col("id"), col("ts", "timestamp"), col("day", "date"), col("n", "int64")],
        key=("id",),
        partition_by=("day",),
        derive={"day": "date(ts)"},
        rules=[rule.not_null("id"), rule.at_least("n", 1)],
    )
    return shop, raw, orders


def test_dependencies_are_inferred_from_what_each_table_reads() -> None:
    shop, _, orders = _shop()

    @shop.gold(
        "gold/sales/daily",
        reads=[orders],  # type: ignore[list-item]
        columns=[col("day", "date"), col("orders", "int64")],
        key=("day",),
        partition_by=("day",),
    )
    def daily(ctx: object, changed: object) -> object:
        """Orders per day."""
        return None

    dag = Dag(shop.steps())
    assert dag.order == ["bronze_orders_raw", "silver_orders", "gold_daily"]
    assert dag.steps["gold_daily"].depends_on == ("silver_orders",)
    assert dag.steps["silver_orders"].layer is Layer.SILVER
    assert list(shop.specs()) == [
        "bronze/orders_raw",
        "quarantine/orders_raw_files_rejected",
        "silver/orders",
        "quarantine/orders_rejected",
        "gold/sales/daily",
    ]
    assert shop.specs()["gold/sales/daily"].mart == "sales"
    assert shop.specs()["gold/sales/daily"].description == "Orders per day."


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda p, raw: p.silver("gold/orders", from_=raw, columns=[col("id")], key=("id",)),
            "gold/orders: declared as silver but its path says gold; name it silver/orders",
        ),
        (
            lambda p, raw: p.silver("silver/x", from_=raw, columns=[col("id")], key=("nope",)),
            "silver/x: key names nope, not declared columns (id)",
        ),
        (
            lambda p, raw: p.silver("silver/x", from_=raw, columns=[col("qty")], key=("qty",)),
            "silver/x: column 'qty' is neither in bronze/orders_raw's landing columns nor derived",
        ),
        (
            lambda p, raw: p.silver(
                "silver/x", from_=raw, columns=[col("id", "money")], key=("id",)
            ),
            "silver/x: column id: unknown column type 'money'; use one of: string, int64",
        ),
        (
            lambda p, raw: p.silver(
                "silver/x", from_=raw, columns=[col("id")], key=("id",), version="1.0"
            ),
            "silver/x: version '1.0' is not MAJOR.MINOR.PATCH (OPS-06)",
        ),
        (
            lambda p, raw: p.silver(
                "silver/x", from_=raw, columns=[col("id")], key=("id",), rules=[rule.not_null("n")]
            ),
            "silver/x: rule n_missing names 'n', not a column (id)",
        ),
        (
            lambda p, raw: p.silver(
                "silver/x", from_=raw, columns=[col("id")], key=("id",), derive={"id": "sqrt(n)"}
            ),
            "silver/x: derive id = 'sqrt(n)': write one of upper(column), lower(column)",
        ),
        (
            lambda p, raw: p.silver(
                "silver/x",
                from_=raw,
                columns=[col("id")],
                key=("id",),
                rules=[rule.matches("id", "[a-")],
            ),
            "silver/x: rule id_malformed: the pattern '[a-' is not a regular expression",
        ),
        (
            lambda p, raw: p.bronze("bronze/more", source=landing("more_*", columns=["id"])),
            "bronze/more: cannot tell the format of landing('more_*') from its name; say format=",
        ),
        (
            lambda p, raw: p.step(
                writes=[p.silver("silver/x", from_=raw, columns=[col("id")], key=("id",))]
            )(lambda ctx: None),
            "step <lambda>: writes= holds <silver table silver/x>; declare what a step writes "
            "with pipeline.table(...)",
        ),
    ],
)
def test_a_wrong_declaration_names_the_table_and_the_fix(declare: object, message: str) -> None:
    shop = Pipeline("shop")
    raw = shop.bronze("bronze/orders_raw", source=landing("*.csv", columns=["id", "ts", "n"]))
    with pytest.raises(DeclarationError) as refused:
        declare(shop, raw)  # type: ignore[operator]
    assert message in str(refused.value)


def test_gold_partitioned_by_a_column_silver_is_not_partitioned_by_is_refused_at_load() -> None:
    shop, _, orders = _shop()
    shop.gold(
        "gold/sales/by_id",
        reads=[orders],  # type: ignore[list-item]
        columns=[col("id"), col("orders", "int64")],
        key=("id",),
        partition_by=("id",),
    )(lambda ctx, changed: None)
    with pytest.raises(DeclarationError) as refused:
        shop.steps()
    assert "gold/sales/by_id: partitioned by id, but silver/orders is not" in str(refused.value)


def test_a_gold_table_without_a_computation_is_refused_at_load() -> None:
    shop, _, orders = _shop()
    shop.gold(
        "gold/sales/daily",
        reads=[orders],  # type: ignore[list-item]
        columns=[col("day", "date")],
        key=("day",),
    )
    with pytest.raises(DeclarationError) as refused:
        shop.steps()
    assert "gold/sales/daily: say how it is computed" in str(refused.value)


def test_a_step_reading_a_later_layer_is_refused_with_the_layer_order() -> None:
    shop, _, orders = _shop()
    report = shop.table("gold/sales/report", columns=[col("id")])
    back = shop.table("silver/back", columns=[col("id")])
    shop.step(writes=[report], reads=[orders])(lambda ctx: None)  # type: ignore[list-item]

    def feedback(ctx: object) -> None:
        return None

    shop.step(writes=[back], reads=[report])(feedback)
    with pytest.raises(Exception) as refused:
        Dag(shop.steps())
    assert "layers run bronze → silver → gold" in str(refused.value)


def test_two_steps_writing_one_table_are_refused() -> None:
    shop, _, _ = _shop()
    report = shop.table("gold/sales/report", columns=[col("id")])
    shop.step(writes=[report])(lambda ctx: None)
    with pytest.raises(DeclarationError) as refused:
        shop.step(writes=[report], name="again")(lambda ctx: None)
    assert "gold/sales/report is already written by step <lambda>" in str(refused.value)


def test_declaring_the_shipped_pipeline_imports_no_pyarrow() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from lakeconsole.pipelines.sales import pipeline; pipeline.steps(); "
            "print(sorted(m for m in ('pyarrow', 'deltalake', 'pandas') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
