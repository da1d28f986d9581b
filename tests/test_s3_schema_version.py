"""A table in a bucket (moto's server on 127.0.0.1) is created stamped with its schema version
and restamped, as a table on disk is (OPS-06)."""

from __future__ import annotations

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.contracts import table_version
from lakeconsole.core.schema_version import (
    commit_properties,
    open_or_create,
    stamp_version,
    table_schema_version,
)
from tests.backup_fixtures import s3_server
from tests.s3_lake_fixtures import s3_location, s3_url

__all__ = ["s3_server", "s3_url"]  # fixtures, used by name

SCHEMA = pa.schema([("order_id", pa.int64()), ("qty", pa.int64())])


def test_a_bucket_table_is_created_stamped_then_restamped(
    s3_server: dict[str, str], s3_url: str
) -> None:
    table = s3_location(s3_url, s3_server) / "silver" / "orders"
    dt = open_or_create(table, SCHEMA, "1.0.0")
    assert (dt.version(), table_schema_version(dt)) == (0, "1.0.0")
    assert table_version(table) == "1.0.0"
    write_deltalake(
        table.uri,
        pa.table({"order_id": [1], "qty": [2]}, schema=SCHEMA),
        mode="append",
        storage_options=table.storage_options,
        commit_properties=commit_properties("1.1.0"),
    )
    again = open_or_create(table, SCHEMA, "9.9.9")  # exists: opened as it is
    assert again.version() == 1 and table_schema_version(again) == "1.0.0"
    assert stamp_version(table, "1.1.0") and not stamp_version(table, "1.1.0")
    assert table_version(table) == "1.1.0"
