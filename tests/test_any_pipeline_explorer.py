"""The explorer and maintenance commands on every shipped pipeline's silver and gold tables,
through the real CLI: tables, history, show, compare, restore-version then a re-run, vacuum and
optimize."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tests.conftest import Shipped, lakeconsole

FIRST, LATER = 2000, 500  # demo rows of the first file, then of the incremental one


def cli(shipped: Shipped, *args: str) -> str:
    done = lakeconsole(list(args), shipped.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def two_runs(shipped: Shipped) -> None:
    """A first file and its run, then an incremental file and its run: two versions to look at."""
    shipped.write_demo(rows=FIRST, files=1, seed=5)
    cli(shipped, "run")
    shipped.write_demo(rows=LATER, files=1, seed=5, prefix=f"{shipped.name}_next", after=FIRST)
    cli(shipped, "run")


def keys(rows: pa.Table, key: tuple[str, ...]) -> set[tuple[Any, ...]]:
    return {tuple(r.values()) for r in rows.select(list(key)).to_pylist()}


def silver_and_gold(shipped: Shipped) -> list[Any]:
    return [t for t in shipped.declared.declared.values() if t.layer in ("silver", "gold")]


def test_tables_history_and_show_name_every_silver_and_gold_table(shipped: Shipped) -> None:
    two_runs(shipped)
    listed = {t["name"]: t for t in json.loads(cli(shipped, "tables", "--json"))}
    assert set(shipped.versions()) <= set(listed), "every table the run wrote is listed"
    for table in silver_and_gold(shipped):
        path = str(shipped.settings.data_dir / table.name)
        row = listed[table.name]
        assert (row["layer"], row["version"]) == (table.layer, DeltaTable(path).version())
        assert row["rows"] == len(shipped.rows(table.name))
        assert row["schema_version"] == table.spec.version

        history = json.loads(cli(shipped, "history", table.name, "--json"))
        expected = DeltaTable(path).history()
        assert [c["version"] for c in history["commits"]] == [h["version"] for h in expected]
        assert [c["operation"] for c in history["commits"]] == [h["operation"] for h in expected]

        shown = json.loads(cli(shipped, "show", table.name, "--limit", "100000", "--json"))
        assert [c["name"] for c in shown["columns"]] == table.spec.schema.names
        assert len(shown["rows"]) == row["rows"]
        text = cli(shipped, "show", table.name, "--limit", "3")
        assert f"rows 1-3 of {row['rows']:,}" in text or f"rows 1-3 of {row['rows']}" in text


def test_show_a_version_and_compare_two_by_the_declared_key(shipped: Shipped) -> None:
    two_runs(shipped)
    for table in silver_and_gold(shipped):
        path = str(shipped.settings.data_dir / table.name)
        latest = DeltaTable(path).version()
        old = DeltaTable(path, version=latest - 1).to_pyarrow_table()
        shown = json.loads(
            cli(
                shipped,
                "show",
                table.name,
                "--version",
                str(latest - 1),
                "--limit",
                "100000",
                "--json",
            )
        )
        assert len(shown["rows"]) == old.num_rows, f"{table.name} at version {latest - 1}"

        compare = f"{latest - 1}..{latest}"
        done = json.loads(cli(shipped, "show", table.name, "--compare", compare, "--json"))
        assert done["keys"] == list(table.spec.key), table.name
        before, after = (
            keys(old, table.spec.key),
            keys(DeltaTable(path).to_pyarrow_table(), table.spec.key),
        )
        assert done["added"] == len(after - before), table.name
        assert done["removed"] == len(before - after), table.name
        assert done["changed"] + done["unchanged"] == len(before & after), table.name
