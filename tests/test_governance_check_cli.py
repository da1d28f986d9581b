"""`lakeconsole check` through the real CLI: one line per finding, exit 0 only when all is well."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from deltalake import DeltaTable

from lakeconsole.core.schema_version import open_or_create
from tests.governance_fixtures import COMPLETE_README, clean_project, git
from tests.sales_tables import GOLD_DAILY_REVENUE

Cli = Callable[..., CompletedProcess[str]]
WITHOUT_OWNER = COMPLETE_README.replace("## Owner\n\nCFO Office\n", "")


@pytest.fixture
def mart(home: Path) -> Path:
    return clean_project(home)


def lines(done: CompletedProcess[str]) -> list[str]:
    return done.stdout.splitlines()


def commit_all(home: Path) -> None:
    git(home, "add", "-A")
    git(home, "commit", "-qm", "change")


def test_all_well_exits_zero(mart: Path, cli: Cli) -> None:
    done = cli(["check"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout


def test_json_lists_no_findings_when_all_is_well(mart: Path, cli: Cli) -> None:
    done = cli(["check", "--json"])
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"ok": True, "findings": []}


def test_mart_without_readme(mart: Path, home: Path, cli: Cli) -> None:
    (mart / "README.md").unlink()
    commit_all(home)
    done = cli(["check"])
    assert done.returncode == 1
    assert lines(done) == [
        "OPS-05 gold/sales: no README.md: run `lakeconsole marts new sales` and fill in "
        "Business Definition, Owner and Refresh Rate"
    ]


def test_mart_readme_with_a_missing_section(mart: Path, home: Path, cli: Cli) -> None:
    text = (mart / "README.md").read_text()
    (mart / "README.md").write_text(text.replace("## Owner\n\nCFO Office\n", ""))
    commit_all(home)
    done = cli(["check", "--json"])
    assert done.returncode == 1
    found = json.loads(done.stdout)["findings"]
    assert [(f["code"], f["subject"]) for f in found] == [("OPS-05", "gold/sales")]
    assert "missing sections: Owner" in found[0]["message"]


def test_column_dictionary_out_of_step_with_the_schema(mart: Path, home: Path, cli: Cli) -> None:
    (mart / "README.md").write_text(COMPLETE_README)  # no dictionary at all
    commit_all(home)
    done = cli(["check"])
    assert done.returncode == 1
    assert "column dictionary does not match" in done.stdout
    assert "lakeconsole marts refresh sales" in done.stdout
    assert cli(["marts", "refresh", "sales"]).returncode == 0
    commit_all(home)
    assert cli(["check"]).returncode == 0


def _replace_table(home: Path, schema_change: str, version: str) -> None:
    """Re-create gold/sales/daily_revenue with a schema that differs from its contract."""
    import shutil

    spec = GOLD_DAILY_REVENUE
    path = spec.path(home / "data")
    shutil.rmtree(path)
    schema = spec.schema
    if schema_change == "extra column":
        schema = schema.append(spec.schema.field("tax").with_name("discount"))
    else:  # a column the contract has is missing from the table
        schema = schema.remove(schema.get_field_index("line_count"))
    open_or_create(path, schema, version)


def test_table_schema_differs_from_its_contract(mart: Path, home: Path, cli: Cli) -> None:
    # The contract adds line_count (a minor change) and declares 1.0.0 over the table's 0.9.0.
    _replace_table(home, "missing column", "0.9.0")
    done = cli(["check"])
    assert done.returncode == 1
    finding = [line for line in lines(done) if line.startswith("OPS-06")]
    assert finding == [
        "OPS-06 gold/sales/daily_revenue: schema differs from its contract (added line_count): "
        "run `lakeconsole run` to write it as version 1.0.0"
    ]


def test_version_not_bumped(mart: Path, home: Path, cli: Cli) -> None:
    # The table has a column the contract dropped, both at 1.0.0: dropping needs 2.0.0.
    _replace_table(home, "extra column", "1.0.0")
    done = cli(["check"])
    assert done.returncode == 1
    finding = [line for line in lines(done) if line.startswith("OPS-06")]
    assert len(finding) == 1
    assert "version not bumped" in finding[0] and "removed discount" in finding[0]
    assert "Declare version 2.0.0 or later" in finding[0]


def test_vacuum_overdue(mart: Path, home: Path, cli: Cli) -> None:
    first = GOLD_DAILY_REVENUE.path(home / "data") / "_delta_log" / "00000000000000000000.json"
    eight_days_ago = time.time() - 8 * 86400
    os.utime(first, (eight_days_ago, eight_days_ago))
    done = cli(["check"])
    assert done.returncode == 1
    assert [line.split(":")[0] for line in lines(done)] == ["OPS-03 vacuum"]
    assert "lakeconsole vacuum" in done.stdout


def test_backup_overdue(home: Path, cli: Cli) -> None:
    clean_project(home)
    (home / "data" / "_lakeconsole" / "backup" / "status.json").unlink()
    done = cli(["check"])
    assert done.returncode == 1
    assert [line.split(":")[0] for line in lines(done)] == ["OPS-07 backup"]
    assert "never backed up" in done.stdout


def test_deleted_file_retention_under_168_hours(mart: Path, home: Path, cli: Cli) -> None:
    dt = DeltaTable(str(GOLD_DAILY_REVENUE.path(home / "data")))
    dt.alter.set_table_properties({"delta.deletedFileRetentionDuration": "interval 1 hours"})
    done = cli(["check"])
    assert done.returncode == 1
    assert lines(done)[0].startswith(
        "OPS-03 gold/sales/daily_revenue: delta.deletedFileRetentionDuration is 1 h, under 168 h"
    )


@pytest.mark.parametrize(
    ("path", "kind"),
    [("data/bronze/orders.parquet", "data"), ("logs/app.log", "logs"), (".env", ".env")],
)
def test_data_logs_or_env_tracked_by_git(
    mart: Path, home: Path, cli: Cli, path: str, kind: str
) -> None:
    (home / path).write_text("secret=1\n")
    git(home, "add", "-f", path)
    git(home, "commit", "-qm", f"oops, {kind}")
    done = cli(["check"])
    assert done.returncode == 1
    assert lines(done) == [
        f"OPS-07 git: {kind}: 1 file(s) tracked by git ({path}): run `git rm -r --cached {path}` "
        "and commit; .gitignore keeps them out"
    ]


def test_mart_readme_belongs_in_git(mart: Path, home: Path) -> None:
    assert "data/gold/sales/README.md" in git(home, "ls-files")


def test_uncommitted_code_changes(mart: Path, home: Path, cli: Cli) -> None:
    (home / "transform.py").write_text("print('new step')\n")
    done = cli(["check"])
    assert done.returncode == 1
    assert lines(done) == [
        "OPS-07 git: uncommitted: 1 uncommitted change(s) (transform.py): commit them "
        "(zero tolerance for uncommitted work at the end of the day)"
    ]
    commit_all(home)
    assert cli(["check"]).returncode == 0


def test_a_project_outside_git_skips_the_git_checks(home: Path, cli: Cli) -> None:
    clean_project(home)
    import shutil

    shutil.rmtree(home / ".git")
    done = cli(["check"])
    assert done.returncode == 0, done.stdout


def test_several_findings_one_line_each(mart: Path, home: Path, cli: Cli) -> None:
    (mart / "README.md").write_text(WITHOUT_OWNER)
    (home / "data" / "_lakeconsole" / "backup" / "status.json").unlink()
    done = cli(["check", "--json"])
    assert done.returncode == 1
    codes = [f["code"] + " " + f["subject"] for f in json.loads(done.stdout)["findings"]]
    assert codes == [
        "OPS-05 gold/sales",
        "OPS-05 gold/sales",
        "OPS-07 backup",
        "OPS-07 git: uncommitted",
    ]
    plain = cli(["check"])
    assert len(lines(plain)) == 4 and "4 finding(s)" in plain.stderr


def test_a_usage_error_exits_two(home: Path, cli: Cli) -> None:
    done = cli(["check", "--bogus"])
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr
