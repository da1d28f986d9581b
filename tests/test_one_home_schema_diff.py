"""One schema diff and one way to write types (issue 13, item 11): the schema contract (OPS-06)
and the explorer's version view say a change in the same words."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.contracts import schema_diff, type_name

Cli = Callable[..., subprocess.CompletedProcess[str]]

BEFORE = pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("channel", pa.string())])
AFTER = pa.schema(
    [
        ("id", pa.int64()),
        ("amount", pa.float64()),
        ("note", pa.string()),
        ("where", pa.struct([("city", pa.string()), ("zip", pa.int32())])),
    ]
)


def test_show_words_a_schema_change_as_the_contract_does(cli: Cli, home: Path) -> None:
    path = home / "data" / "silver" / "orders"
    write_deltalake(
        path, pa.Table.from_pylist([{"id": 1, "amount": 1.0, "channel": "web"}], BEFORE)
    )
    row = {"id": 1, "amount": 1.0, "note": "n", "where": {"city": "Oslo", "zip": 150}}
    write_deltalake(
        path, pa.Table.from_pylist([row], AFTER), mode="overwrite", schema_mode="overwrite"
    )
    shown = cli(["show", "silver/orders", "--limit", "0"])
    assert shown.returncode == 0, shown.stderr
    contract_lines = schema_diff(BEFORE, AFTER).lines()
    assert contract_lines == [
        "+ note: string",
        "+ where: struct<city:string,zip:integer>",
        "- channel: string",
    ]
    for line in contract_lines:
        assert f"  {line}" in shown.stdout.splitlines()
    # The schema listing names the struct's type the same way.
    assert f"where   {type_name(AFTER.field('where').type)}" in shown.stdout
