"""Backups (OPS-07) and marts (OPS-05) on every shipped pipeline, through the real CLI: back up
to a folder, drill, restore elsewhere equal to the lake; the marts, their README from the
pipeline's template, the column dictionary of the declared columns, a clean `check`."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

from tests.conftest import REPO, Shipped, lakeconsole
from tests.governance_fixtures import git_repo


def cli(shipped: Shipped, *args: str) -> str:
    done = lakeconsole(list(args), shipped.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_backup_drill_and_restore_to_a_folder_equal_the_lake(
    shipped: Shipped, tmp_path: Path
) -> None:
    shipped.write_demo(rows=2000, files=2, seed=17)
    cli(shipped, "run")
    target = str(tmp_path / "usb")

    assert "✓ Backup Finished" in cli(shipped, "backup", "--target", target)
    drill = cli(shipped, "restore", "--drill", "--target", target)
    assert "✓ Restore Drill Passed" in drill
    for name in shipped.versions():
        assert f"{name} v" in drill, f"the drill checks {name}"
    copy = tmp_path / "copy"
    assert "✓ Restore Finished" in cli(shipped, "restore", "--to", str(copy), "--target", target)

    restored = Shipped(shipped.name, shipped.env, replace(shipped.settings, data_dir=copy))
    assert restored.versions() == shipped.versions()
    assert restored.snapshot() == shipped.snapshot()


def test_marts_readme_and_column_dictionary_follow_the_declaration(
    shipped: Shipped, home: Path
) -> None:
    from lakeconsole.core.backup.status import record

    shipped.write_demo(rows=2000, files=1, seed=19)
    cli(shipped, "run")
    golds = [t for t in shipped.declared.declared.values() if t.layer == "gold"]
    marts = {t.spec.mart for t in golds}

    listed = json.loads(cli(shipped, "marts", "list", "--json"))
    assert {m["name"] for m in listed} == marts
    for mart in listed:
        assert sorted(mart["tables"]) == sorted(
            t.stem for t in golds if t.spec.mart == mart["name"]
        )
        assert mart["readme"] == "complete", mart
    for mart in marts:
        readme = (shipped.settings.data_dir / "gold" / mart / "README.md").read_text()
        template = (REPO / "pipelines" / shipped.name / "marts" / f"{mart}.md").read_text()
        # Written from the pipeline's template: its own text, the dictionary filled in.
        head = template.split("<!-- columns:start -->")[0]
        assert readme.startswith(head), mart
        for table in (t for t in golds if t.spec.mart == mart):
            for column in table.spec.columns:
                line = rf"^\| `{re.escape(column.name)}` \| [^|]+ \| {re.escape(column.description)} \|$"
                assert re.search(line, readme, re.M), f"{table.name}.{column.name} in {mart}"

    record(shipped.settings, "last_backup", {"at": time.time()})
    git_repo(home)
    checked = lakeconsole(["check"], shipped.env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no findings" in checked.stdout
