"""Schema contracts (OPS-06) on every shipped pipeline: a copy of its module whose silver table
gains a column is refused by `run` until the version is bumped; with a minor bump the column
arrives, the table says its new version, and `check` is clean."""

from __future__ import annotations

import json
import time
from pathlib import Path

from deltalake import DeltaTable

from lakeconsole.core.schema_version import VERSION_PROPERTY
from tests.conftest import REPO, Shipped, lakeconsole
from tests.governance_fixtures import git_repo

# The column each pipeline's silver table gains, derived from a landing column.
NEW_COLUMN = {"sales": ("region_code", "region"), "events": ("platform_code", "platform")}


def changed_module(shipped: Shipped, home: Path, version: str | None) -> dict[str, str]:
    """A copy of the shipped pipeline's module in the project folder whose silver table gains
    a column (and declares `version`, when given); the environment that names it."""
    column, source = NEW_COLUMN[shipped.name]
    folder = REPO / "pipelines" / shipped.name
    text = (folder / "__init__.py").read_text()
    text = text.replace('Path(__file__).parent / "marts"', repr(str(folder / "marts")))
    start = text.index("pipeline.silver(\n") + len("pipeline.silver(\n")
    end = text.index("\n    ],", text.index("    columns=[", start))
    added = f'\n        col("{column}", "string", "Upper-case {source}"),'
    text = text[:end] + added + text[end:]
    derive = text.index("derive={", start) + len("derive={")
    text = text[:derive] + f'"{column}": "upper({source})", ' + text[derive:]
    if version:
        at = text.index("    columns=[", start)
        text = text[:at] + f'    version="{version}",\n' + text[at:]
    module = f"changed_{shipped.name}"
    (home / f"{module}.py").write_text(text)
    return {**shipped.env, "LAKECONSOLE_PIPELINE": f"{module}:pipeline"}


def test_a_silver_column_needs_a_minor_bump_then_arrives(shipped: Shipped, home: Path) -> None:
    from lakeconsole.core.backup.status import record

    shipped.write_demo(rows=2000, files=1, seed=11)
    assert lakeconsole(["run"], shipped.env).returncode == 0
    (silver,) = [t for t in shipped.declared.declared.values() if t.layer == "silver"]
    guarded = [n for n, s in shipped.declared.specs().items() if s.layer != "bronze"]
    column, source = NEW_COLUMN[shipped.name]
    (late,) = shipped.write_demo(
        rows=300, files=1, seed=11, prefix=f"{shipped.name}_late", after=2000
    )
    before = {n: v for n, v in shipped.versions().items() if n in guarded}

    unbumped = lakeconsole(["run"], changed_module(shipped, home, None))

    assert unbumped.returncode != 0, unbumped.stdout
    said = unbumped.stdout + unbumped.stderr
    assert f"+ {column}: string" in said and "not a minor bump" in said and "1.1.0" in said
    after = {n: v for n, v in shipped.versions().items() if n in guarded}
    assert after == before, "no commit to silver, quarantine or gold"
    assert (
        column
        not in DeltaTable(str(shipped.settings.data_dir / silver.name)).schema().to_arrow().names
    )

    bumped = changed_module(shipped, home, "1.1.0")
    done = lakeconsole(["run"], bumped)

    assert done.returncode == 0, done.stdout + done.stderr
    table = DeltaTable(str(shipped.settings.data_dir / silver.name))
    rows = [r for r in shipped.rows(silver.name) if r["_source_file"] == late.path.name]
    assert rows, "the late file's rows are live"
    assert all(r[column] == (r[source] and r[source].upper()) for r in rows)
    assert table.metadata().configuration[VERSION_PROPERTY] == "1.1.0"
    meta = table.history(1)[0].get("userMetadata")
    assert json.loads(meta)["version"] == "1.1.0", meta

    record(shipped.settings, "last_backup", {"at": time.time()})
    git_repo(home)
    checked = lakeconsole(["check"], bumped)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no findings" in checked.stdout


def test_a_changed_declaration_is_refused_or_applied_without_a_new_file(
    shipped: Shipped, home: Path
) -> None:
    shipped.write_demo(rows=1000, files=1, seed=12)
    assert lakeconsole(["run"], shipped.env).returncode == 0
    (silver,) = [t for t in shipped.declared.declared.values() if t.layer == "silver"]
    column, _ = NEW_COLUMN[shipped.name]

    unbumped = lakeconsole(["run"], changed_module(shipped, home, None))
    assert unbumped.returncode != 0, "an unbumped schema change is refused, data or not"

    bumped = changed_module(shipped, home, "1.1.0")
    assert lakeconsole(["run"], bumped).returncode == 0
    table = DeltaTable(str(shipped.settings.data_dir / silver.name))
    assert column in table.schema().to_arrow().names, "the bumped run evolves the schema"
