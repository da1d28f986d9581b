"""Real Delta tables for the explorer tests, built in tmp_path."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, write_deltalake


def schema_version(version: str) -> CommitProperties:
    """Commit metadata carrying the schema version the way the runbook asks (OPS-06)."""
    return CommitProperties(custom_metadata={"userMetadata": json.dumps({"version": version})})


def orders_table(path: Path) -> Path:
    """A keyed table with five versions:
    0 write 3 orders (schema 1.0.0); 1 append order 4; 2 merge: update 2, insert 5;
    3 overwrite adding column `note` and dropping `channel` (schema 1.1.0); 4 delete order 1."""
    write_deltalake(
        path,
        pa.table(
            {"id": [1, 2, 3], "amount": [10.0, 20.0, 30.0], "channel": ["web", "shop", "web"]}
        ),
        commit_properties=schema_version("1.0.0"),
    )
    write_deltalake(
        path, pa.table({"id": [4], "amount": [40.0], "channel": ["web"]}), mode="append"
    )
    (
        DeltaTable(path)
        .merge(
            pa.table({"id": [2, 5], "amount": [25.0, 50.0], "channel": ["shop", "shop"]}),
            "s.id = t.id",
            source_alias="s",
            target_alias="t",
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    current = sorted(pa.table(DeltaTable(path).scan()).to_pylist(), key=lambda r: r["id"])
    reshaped = pa.table(
        {
            "id": [r["id"] for r in current],
            "amount": [r["amount"] for r in current],
            "note": [f"n{r['id']}" for r in current],
        }
    )
    write_deltalake(
        path,
        reshaped,
        mode="overwrite",
        schema_mode="overwrite",
        commit_properties=schema_version("1.1.0"),
    )
    DeltaTable(path).delete("id = 1")
    return path


def delta_rs_append(version: int, timestamp_ms: int) -> dict[str, object]:
    """The commitInfo delta-rs writes for a one-row append."""
    return {
        "timestamp": timestamp_ms,
        "operation": "WRITE",
        "operationParameters": {"mode": "Append"},
        "operationMetrics": {"num_added_files": 1, "num_added_rows": 1},
    }


def spark_append(version: int, timestamp_ms: int) -> dict[str, object]:
    """The commitInfo Spark (Databricks) writes for a one-row append: camelCase metrics as
    strings, parameters as JSON strings, and engine fields delta-rs does not write."""
    info: dict[str, object] = {
        "timestamp": timestamp_ms,
        "operation": "WRITE",
        "operationParameters": {"mode": "Append", "partitionBy": "[]"},
        "isolationLevel": "Serializable",
        "isBlindAppend": True,
        "operationMetrics": {"numFiles": "1", "numOutputRows": "1", "numOutputBytes": "500"},
        "engineInfo": "Apache-Spark/3.5.0 Delta-Lake/3.1.0",
        "txnId": str(uuid.UUID(int=version)),
    }
    if version:
        info["readVersion"] = version - 1
    return info


def many_commits(
    path: Path, commits: int, commit_info: Callable[[int, int], dict[str, object]] = delta_rs_append
) -> Path:
    """A valid Delta table with `commits` one-row appends, written straight into the log.

    Each commit adds a hard link of one small parquet file, so 1,000 commits take well under a
    second (write_deltalake needs about 40 s for that here).
    """
    log = path / "_delta_log"
    log.mkdir(parents=True)
    seed = path / "seed.parquet"
    pq.write_table(pa.table({"id": pa.array([7], pa.int64())}), seed)
    size = seed.stat().st_size
    schema = {
        "type": "struct",
        "fields": [{"name": "id", "type": "long", "nullable": True, "metadata": {}}],
    }
    start = int(time.time() * 1000) - commits
    for version in range(commits):
        name = f"part-{version:06d}.parquet"
        os.link(seed, path / name)
        actions: list[dict[str, object]] = [{"commitInfo": commit_info(version, start + version)}]
        if version == 0:
            actions += [
                {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
                {
                    "metaData": {
                        "id": str(uuid.uuid4()),
                        "format": {"provider": "parquet", "options": {}},
                        "schemaString": json.dumps(schema),
                        "partitionColumns": [],
                        "configuration": {},
                        "createdTime": start,
                    }
                },
            ]
        actions.append(
            {
                "add": {
                    "path": name,
                    "partitionValues": {},
                    "size": size,
                    "modificationTime": start + version,
                    "dataChange": True,
                    "stats": json.dumps({"numRecords": 1}),
                }
            }
        )
        (log / f"{version:020d}.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")
    seed.unlink()
    return path


def rows_at(path: Path, version: int) -> list[dict[str, object]]:
    """deltalake's own answer for a version's rows, sorted by id."""
    rows = pa.table(DeltaTable(path, version=version).scan()).to_pylist()
    return sorted(rows, key=lambda r: r["id"])
