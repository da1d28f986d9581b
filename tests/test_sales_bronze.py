"""Bronze: append-only ingest, the ledger, bad files, real-world CSV variety."""

from __future__ import annotations

from lakeconsole.core.settings import Settings
from tests.sales_fixtures import (
    CLI,
    HEADER,
    count,
    landing,
    line,
    rows,
    run,
    state_file,
    table,
    versions,
    write_csv,
)
from tests.sales_tables import BRONZE_ORDERS, QUARANTINE_FILES, SILVER_ORDERS


def test_the_same_file_is_never_ingested_twice(settings: Settings) -> None:
    write_csv(settings, "a.csv", [line("A1"), line("A2")])
    first = run(settings)
    again = run(settings)
    assert first.records_processed == 2
    assert again.records_processed == 0
    assert count(settings, BRONZE_ORDERS.name) == 2


def test_a_file_with_the_same_name_and_new_content_is_new_data(settings: Settings) -> None:
    path = write_csv(settings, "a.csv", [line("A1", qty="1")])
    run(settings)
    path.write_text(HEADER + "\n" + line("A1", qty="5") + "\n" + line("A9") + "\n")
    outcome = run(settings)
    assert outcome.records_processed == 2
    assert count(settings, BRONZE_ORDERS.name) == 3
    live = {(r["order_id"], r["qty"]) for r in rows(settings, SILVER_ORDERS.name)}
    assert live == {("A1", 5), ("A9", 1)}


def test_a_renamed_file_is_new_data(settings: Settings) -> None:
    path = write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    path.rename(landing(settings) / "b.csv")
    assert run(settings).records_processed == 1
    assert count(settings, BRONZE_ORDERS.name) == 2
    assert len(rows(settings, SILVER_ORDERS.name)) == 1  # still one live line for A1


def test_a_touched_file_with_unchanged_content_is_not_ingested_again(settings: Settings) -> None:
    path = write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    path.write_bytes(path.read_bytes())  # new modification time, same bytes
    assert run(settings).records_processed == 0


def test_bronze_keeps_raw_strings_and_lineage(settings: Settings) -> None:
    write_csv(settings, "a.csv", [line("A1", price=" 10.5 "), line("A2")])
    outcome = run(settings)
    raw = rows(settings, BRONZE_ORDERS.name, drop=set())
    assert [r["price"] for r in raw] == [" 10.5 ", "10.00"]
    assert {r["_source_file"] for r in raw} == {"a.csv"}
    assert [r["_source_row"] for r in raw] == [1, 2]
    assert {r["_run_id"] for r in raw} == {outcome.run_id}
    assert all(len(r["_source_hash"]) == 64 and r["_ingested_at"] for r in raw)


def test_csv_variety_with_one_meaning_is_accepted(settings: Settings) -> None:
    reordered = "qty,price,order_id,line_no,order_ts,customer_id,product_id,region,tax,currency"
    write_csv(
        settings,
        "bom_crlf.csv",
        [line("A1", customer_id='"Smith, John"')],
        newline="\r\n",
        bom=True,
    )
    write_csv(
        settings,
        "reordered.csv",
        ["3,4.50,A2,1,2024-03-01T10:00:00Z,C2,P2,south,1.00,EUR"],
        header=reordered,
    )
    outcome = run(settings)
    assert outcome.warnings == []
    live = {r["order_id"]: r for r in rows(settings, SILVER_ORDERS.name)}
    assert live["A1"]["customer_id"] == "Smith, John"
    assert live["A1"]["currency"] == "EUR"  # no stray \r at the end of the line
    assert (live["A2"]["qty"], str(live["A2"]["price"]), live["A2"]["region"]) == (
        3,
        "4.50",
        "south",
    )


BAD_FILES = {
    "binary.csv": (b"PK\x03\x04\x00\x00binary\x00stuff", "binary"),
    "empty.csv": (b"", "empty file"),
    "header_only.csv": ((HEADER + "\n").encode(), "no data rows"),
    "no_header.csv": ((line("A7") + "\n").encode(), "missing header"),
    "wrong_header.csv": (
        (
            "order_id,line_no,when,customer_id,product_id,region,price,qty,tax,currency\n"
            + line("A8")
            + "\n"
        ).encode(),
        "wrong header: missing column(s) order_ts",
    ),
    "latin1.csv": (
        (HEADER + "\n" + line("A9", customer_id="Müller")).encode("latin-1"),
        "not UTF-8",
    ),
    "ragged.csv": ((HEADER + "\n" + line("A6") + ",extra\n").encode(), "not a well-formed CSV"),
}


def test_each_bad_file_is_recorded_left_in_place_and_named_in_the_run_output(
    settings: Settings, cli: CLI
) -> None:
    write_csv(settings, "good.csv", [line("A1")])
    for name, (content, _) in BAD_FILES.items():
        (landing(settings) / name).write_bytes(content)

    result = cli(["run"])

    assert result.returncode == 0, result.stderr
    assert "Processed 1 records" in result.stdout
    recorded = {r["file"]: r["reason"] for r in rows(settings, QUARANTINE_FILES.name)}
    for name, (_, reason) in BAD_FILES.items():
        assert reason in recorded[name], (name, recorded[name])
        assert name in result.stderr
        assert (landing(settings) / name).exists()
    assert count(settings, BRONZE_ORDERS.name) == 1


def test_a_bad_file_is_recorded_once_and_still_named_on_the_next_run(
    settings: Settings, cli: CLI
) -> None:
    (landing(settings) / "empty.csv").write_bytes(b"")
    cli(["run"])
    before = versions(settings)
    again = cli(["run"])
    assert again.returncode == 0
    assert "empty.csv" in again.stderr
    assert versions(settings) == before
    assert len(rows(settings, QUARANTINE_FILES.name)) == 1


def test_a_fixed_bad_file_is_ingested(settings: Settings) -> None:
    path = landing(settings) / "late.csv"
    path.write_bytes(b"")
    run(settings)
    write_csv(settings, "late.csv", [line("A1")])
    outcome = run(settings)
    assert outcome.records_processed == 1
    assert outcome.warnings == []


def test_bronze_commits_name_their_file_so_a_lost_ledger_is_rebuilt(settings: Settings) -> None:
    write_csv(settings, "a.csv", [line("A1")])
    run(settings)
    state_file(settings, "bronze_ledger").unlink()
    write_csv(settings, "b.csv", [line("B1")])
    assert run(settings).records_processed == 1
    assert count(settings, BRONZE_ORDERS.name) == 2
    history = table(settings, BRONZE_ORDERS.name).history(1)[0]
    assert history["lakeconsole.source_file"] == "b.csv"


def test_the_console_is_told_which_landing_files_are_waiting(settings: Settings) -> None:
    from lakeconsole.pipelines.sales.demo import write_demo
    from tests.sales_tables import landing_waiting

    write_demo(settings.data_dir / "landing", rows=200, files=2, seed=1)
    assert landing_waiting(settings) == {"orders_0001.csv", "orders_0002.csv"}
    run(settings)
    assert landing_waiting(settings) == set()
    write_demo(settings.data_dir / "landing", rows=100, files=1, seed=2, prefix="late")
    assert landing_waiting(settings) == {"late_0001.csv"}


def test_the_console_is_told_which_landing_files_were_rejected_and_why(
    settings: Settings,
) -> None:
    from tests.sales_tables import landing_rejected, landing_waiting

    write_csv(settings, "good.csv", [line("A1")])
    write_csv(settings, "bad.csv", [line("B1")], header="order_id,line_no")
    assert landing_rejected(settings) == {}
    run(settings)
    write_csv(settings, "late.csv", [line("C1")])

    rejected = landing_rejected(settings)
    assert list(rejected) == ["bad.csv"]
    assert rejected["bad.csv"].startswith("wrong header: missing column(s) order_ts")
    assert landing_waiting(settings) == {"late.csv"}
