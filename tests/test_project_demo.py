"""`lakeconsole demo` writes the loaded pipeline's sample files, whatever the pipeline."""

from __future__ import annotations

from pathlib import Path

SHOP = """
from pathlib import Path
from types import SimpleNamespace

from lakeconsole import Pipeline, col, landing

def write_demo(folder, rows=10, files=1, seed=7, prefix="visits", after=0):
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(files):
        path = Path(folder) / f"{prefix}_{i + 1:04d}.csv"
        lines = [f"v{after + i * rows + n},{seed}" for n in range(rows)]
        path.write_text("visit_id,seed\\n" + "\\n".join(lines) + "\\n")
        out.append(SimpleNamespace(path=path, rows=rows))
    return out

pipeline = Pipeline("visits", demo=DEMO)
raw = pipeline.bronze("bronze/visits_raw", source=landing("*.csv", columns=["visit_id", "seed"]))
"""


def project(home: Path, demo: str) -> None:
    (home / "visits_mod.py").write_text(SHOP.replace("DEMO", demo))
    (home / ".env").write_text("LAKECONSOLE_PIPELINE=visits_mod:pipeline\n")


def test_demo_writes_the_files_of_the_pipelines_own_generator(cli, home: Path) -> None:
    project(home, "write_demo")
    r = cli(["demo", "--rows", "3", "--files", "2"])
    assert r.returncode == 0, r.stderr
    landing = home / "data" / "landing"
    assert sorted(p.name for p in landing.iterdir()) == ["visits_0001.csv", "visits_0002.csv"]
    assert (landing / "visits_0002.csv").read_text().splitlines()[1] == "v3,7"
    assert f"wrote {landing / 'visits_0001.csv'}: 3 lines\n" in r.stdout
    assert "6 lines in 2 file(s)" in r.stdout


def test_demo_imports_a_generator_named_module_function_only_when_asked(cli, home: Path) -> None:
    project(home, "'visits_mod:write_demo'")
    r = cli(["demo", "--rows", "2", "--files", "1", "--prefix", "day", "--json"])
    assert r.returncode == 0, r.stderr
    assert (home / "data" / "landing" / "day_0001.csv").is_file()
    assert '"rows": 2' in r.stdout


def test_demo_if_empty_writes_nothing_into_a_lake_with_files(cli, home: Path) -> None:
    project(home, "write_demo")
    (home / "data" / "landing" / "mine.csv").write_text("visit_id,seed\nx,1\n")
    r = cli(["demo", "--if-empty"])
    assert r.returncode == 0 and "already has data; no sample written" in r.stdout
    assert [p.name for p in (home / "data" / "landing").iterdir()] == ["mine.csv"]


def test_a_pipeline_without_a_demo_gets_one_line_naming_the_fix(cli, home: Path) -> None:
    project(home, "None")
    r = cli(["demo"])
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "demo: the pipeline visits declares no demo generator: pass demo=write_demo (a "
        "function, or 'module:function') to Pipeline('visits', ...), or put your own files "
        f"in {home / 'data' / 'landing'}"
    ]
    assert list((home / "data" / "landing").iterdir()) == []


def test_a_demo_that_does_not_import_names_the_fix(cli, home: Path) -> None:
    project(home, "'visits_mod:no_such_function'")
    r = cli(["demo"])
    assert r.returncode == 2
    assert "its demo 'visits_mod:no_such_function' cannot be imported" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_sales_demo_still_writes_its_order_lines(cli, home: Path) -> None:
    r = cli(["demo", "--rows", "100", "--files", "1"])
    assert r.returncode == 0, r.stderr
    assert (home / "data" / "landing" / "orders_0001.csv").is_file()
    assert "re-sent" in r.stdout and "malformed" in r.stdout
