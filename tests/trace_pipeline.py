"""A declared pipeline of another shape for the trace tests (LAKECONSOLE_PIPELINE=
tests.trace_pipeline:plant): sensor readings as CSV, a silver key holding a timestamp, a gold
table computed with sql= and keyed by a derived day, and a gold table a custom step writes."""

from __future__ import annotations

from lakeconsole import Pipeline, col, landing, rule

plant = Pipeline("plant", description="Sensor readings → the plant mart")

readings_raw = plant.bronze(
    "bronze/readings_raw",
    source=landing("readings_*.csv", columns=["sensor_id", "site", "reading_ts", "value"]),
)

readings = plant.silver(
    "silver/readings",
    from_=readings_raw,
    columns=[
        col("sensor_id", "string", "Sensor"),
        col("site", "string", "Where the sensor is"),
        col("reading_ts", "timestamp", "When it was read, UTC"),
        col("day", "date", "UTC day of reading_ts"),
        col("value", "double", "What it read"),
    ],
    key=("sensor_id", "reading_ts"),
    partition_by=("day",),
    derive={"day": "date(reading_ts)"},
    rules=[rule.at_least("value", 0, problem="is below zero")],
)

plant.gold(
    "gold/plant/daily_site",
    reads=[readings],
    columns=[
        col("day", "date", "UTC day"),
        col("site", "string", "Site"),
        col("readings", "int64", "Readings that day"),
        col("total", "double", "Σ value"),
    ],
    key=("day", "site"),
    partition_by=("day",),
    sql=(
        "SELECT day, site, count(*) AS readings, sum(value) AS total FROM readings "
        "WHERE day IN {changed} GROUP BY day, site"
    ),
)

peaks = plant.table(
    "gold/plant/peaks",
    columns=[col("site", "string", "Site"), col("peak", "double", "Highest value read")],
    key=("site",),
)


@plant.step(writes=[peaks], reads=[readings])
def site_peaks(ctx):  # type: ignore[no-untyped-def]
    """The highest value each site read."""
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    rows = pa.table(
        QueryBuilder()
        .register("r", DeltaTable(str(ctx.data_dir / "silver" / "readings")))
        .execute("SELECT site, max(value) AS peak FROM r GROUP BY site")
    )
    ctx.merge(peaks, pa.table({"site": rows["site"].cast(pa.string()), "peak": rows["peak"]}))
