"""History of a table: what deltalake says, newest first, paged."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from lakeconsole.core.explorer.history import history_page
from tests.explorer_fixtures import many_commits, orders_table, spark_append


def test_history_shown_equals_deltalakes_history(tmp_path: Path) -> None:
    path = orders_table(tmp_path / "orders")
    page = history_page(path, limit=50)
    expected = DeltaTable(path).history()
    assert [c.version for c in page.commits] == [h["version"] for h in expected] == [4, 3, 2, 1, 0]
    for commit, h in zip(page.commits, expected, strict=True):
        assert commit.timestamp_ms == h["timestamp"]
        assert commit.operation == h["operation"]
        assert commit.parameters == h.get("operationParameters", {})
        assert commit.metrics == h.get("operationMetrics", {})
        assert commit.user_metadata == h.get("userMetadata")


def test_history_names_operations_counts_and_schema_versions(tmp_path: Path) -> None:
    commits = {c.version: c for c in history_page(orders_table(tmp_path / "orders")).commits}
    assert commits[0].schema_version == "1.0.0"
    assert commits[3].schema_version == "1.1.0"
    assert commits[1].schema_version is None
    assert commits[2].operation == "MERGE"
    assert commits[2].counts()["rows_added"] == 1
    assert commits[2].counts()["rows_updated"] == 1
    assert commits[4].operation == "DELETE"
    assert commits[4].counts()["rows_deleted"] == 1
    assert commits[1].key_parameters() == "mode=Append"
    assert "+1 rows" in commits[1].metrics_line()


def test_long_history_pages_newest_first_without_gaps(tmp_path: Path) -> None:
    path = many_commits(tmp_path / "long", 1000)
    seen: list[int] = []
    before = None
    while True:
        page = history_page(path, before=before, limit=300)
        assert page.latest == 999
        seen += [c.version for c in page.commits]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == list(range(999, -1, -1))


def test_first_page_of_long_history_matches_deltalake(tmp_path: Path) -> None:
    path = many_commits(tmp_path / "long", 1000)
    page = history_page(path, limit=20)
    expected = DeltaTable(path).history(20)
    assert [c.version for c in page.commits] == [h["version"] for h in expected]
    assert page.next_before == 980


def test_a_spark_written_history_reads_like_deltalakes_with_its_counts(tmp_path: Path) -> None:
    path = many_commits(tmp_path / "spark", 3, commit_info=spark_append)
    page = history_page(path)
    expected = DeltaTable(path).history()
    assert [c.version for c in page.commits] == [h["version"] for h in expected] == [2, 1, 0]
    assert [c.metrics for c in page.commits] == [h["operationMetrics"] for h in expected]
    assert page.commits[0].counts() == {"rows_added": 1, "files_added": 1}
    assert page.commits[0].key_parameters() == "mode=Append"
