"""How lakeconsole finds a user's pipeline: module:function next to .env, or an entry point;
loaded once, without pyarrow, and an import that fails says how to fix it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.settings import load_settings

Cli = Callable[..., CompletedProcess[str]]

# A user's own pipeline module, as they would write it next to their .env.
SHOPFRONT = """
from lakeconsole.core.dag import Step, StepResult
from lakeconsole.core.events import Layer
from lakeconsole.core.tables import Column, TableSpec

TABLES = [TableSpec("bronze/visits", "bronze", (), "1.0.0", "Raw visits", key=("visit_id",))]


def _visits(ctx):
    (ctx.data_dir / "visits-ran").write_text(ctx.run_id)
    return StepResult()


def steps():
    return [Step("visits", Layer.BRONZE, _visits)]
"""


def write_module(folder: Path, package: str) -> None:
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text("")
    (folder / package / "pipeline.py").write_text(SHOPFRONT)


def test_a_pipeline_module_in_the_project_folder_runs_without_pythonpath(
    home: Path, env: dict[str, str], cli: Cli
) -> None:
    write_module(home, "shopfront")
    done = cli(["run"], env={**env, "LAKECONSOLE_PIPELINE": "shopfront.pipeline:steps"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (home / "data" / "visits-ran").exists()


def test_a_pipeline_module_that_is_not_there_says_where_to_put_it(
    home: Path, env: dict[str, str], cli: Cli
) -> None:
    done = cli(["run"], env={**env, "LAKECONSOLE_PIPELINE": "shopfront.pipeline:steps"})
    assert done.returncode != 0
    assert (
        "Cannot load the pipeline 'shopfront.pipeline:steps': cannot import 'shopfront.pipeline' "
        f"from {home}: put shopfront/pipeline.py in {home} or install it (pip install -e .); "
        "LAKECONSOLE_PIPELINE=module:attr"
    ) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_module_without_the_named_function_says_what_to_name(
    home: Path, env: dict[str, str], cli: Cli
) -> None:
    write_module(home, "shopfront")
    done = cli(["run"], env={**env, "LAKECONSOLE_PIPELINE": "shopfront.pipeline:build"})
    assert done.returncode != 0
    assert (
        "Cannot load the pipeline 'shopfront.pipeline:build': shopfront.pipeline has no attribute "
        "'build'. Name the Pipeline it declares: LAKECONSOLE_PIPELINE=module:attr"
    ) in done.stderr


def test_a_declaration_error_in_the_users_module_is_one_line_naming_the_table_and_fix(
    home: Path, env: dict[str, str], cli: Cli
) -> None:
    (home / "shop.py").write_text(
        "from lakeconsole import Pipeline, col, landing\n"
        "shop = Pipeline('shop')\n"
        "raw = shop.bronze('bronze/raw', source=landing('*.csv', columns=['id']))\n"
        "shop.silver('silver/orders', from_=raw, columns=[col('id')], key=('order_id',))\n"
    )
    done = cli(["run"], env={**env, "LAKECONSOLE_PIPELINE": "shop:shop"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "✗ Pipeline Failed: Cannot load the pipeline 'shop:shop': shop: silver/orders: key names "
        "order_id, not declared columns (id)"
    ]


def test_an_installed_entry_point_names_the_pipeline(
    tmp_path: Path, home: Path, env: dict[str, str], cli: Cli
) -> None:
    # What `pip install` of a package declaring [project.entry-points."lakeconsole.pipelines"]
    # leaves in site-packages: the module and its dist-info with entry_points.txt.
    site = tmp_path / "site"
    write_module(site, "shopfront_pkg")
    info = site / "shopfront_pkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shopfront-pkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[lakeconsole.pipelines]\nshopfront = shopfront_pkg.pipeline:steps\n"
    )
    user_env = {**env, "LAKECONSOLE_PIPELINE": "shopfront", "PYTHONPATH": str(site)}
    done = cli(["run"], env=user_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (home / "data" / "visits-ran").exists()


def test_the_pipeline_is_loaded_once_per_process(env: dict[str, str]) -> None:
    settings = load_settings(env)
    assert load_pipeline(settings) is load_pipeline(load_settings(env))


def test_loading_the_sales_pipeline_imports_no_pyarrow() -> None:
    # The console's first screen waits for this; pyarrow alone costs ~0.1 s to import.
    code = (
        "from lakeconsole.core.pipeline import load_pipeline\n"
        "pipeline = load_pipeline()\n"
        "pipeline.landing_waiting, pipeline.check_findings\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert "lakeconsole" in imported
    assert not imported & {"pyarrow", "deltalake", "pandas"}
