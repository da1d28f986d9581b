"""A `bronze_ledger.json` of valid JSON but the wrong shape is named in the log and rebuilt
from the bronze table, as a missing one is (issue 13, item 8, the ledger's part)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from lakeconsole.core.settings import Settings
from tests.sales_fixtures import count, line, run, state_file, write_csv
from tests.sales_tables import BRONZE_ORDERS

WRONG_SHAPES: dict[str, Any] = {
    "a list": [1, 2, 3],
    "files not a list": {"bronze_version": 1, "files": {"a.csv": 1}},
    "an entry missing keys": {"bronze_version": 1, "files": [{"file": "a.csv"}]},
    "rows not a number": {
        "bronze_version": 1,
        "files": [
            {
                "file": "a.csv",
                "hash": "0" * 64,
                "rows": "x",
                "ingested_at": "2026-01-01T00:00:00.000000Z",
            }
        ],
    },
    "version not a number": {"bronze_version": "one", "files": []},
    "a rejected entry of the wrong shape": {"bronze_version": 1, "rejected": [["b.csv"]]},
    "an ingest time that is not a time": {
        "bronze_version": 0,
        "files": [{"file": "a.csv", "hash": "0" * 64, "rows": 1, "ingested_at": "yesterday"}],
    },
}


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
def test_a_ledger_of_the_wrong_shape_is_named_and_rebuilt_and_nothing_is_ingested_twice(
    settings: Settings,
    shape: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.sales_tables import landing_rejected, landing_waiting

    # An earlier test in this process may have set up app.log, which stops the `lakeconsole`
    # logger's records from reaching caplog's handler on the root logger.
    monkeypatch.setattr(logging.getLogger("lakeconsole"), "propagate", True)

    write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    ledger = state_file(settings, "bronze_ledger")
    ledger.write_text(json.dumps(WRONG_SHAPES[shape]))
    write_csv(settings, "b.csv", [line("B1")])

    assert landing_waiting(settings) >= {"b.csv"}  # the panel's questions do not crash
    assert landing_rejected(settings) == {}
    with caplog.at_level(logging.WARNING, logger="lakeconsole.sales"):
        outcome = run(settings)

    assert outcome.records_processed == 1  # b.csv only: a.csv is known from the bronze rows
    assert count(settings, BRONZE_ORDERS.name) == 2
    assert any(
        str(ledger) in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records
    )
    assert json.loads(ledger.read_text())["files"][0]["file"] == "a.csv"  # written whole again
