"""The import rules of the pipeline API's layout (issue 14), read from the code:

- core imports no textual, cli, tui or pipelines (absolute imports and importlib strings);
- a pipeline imports only `lakeconsole`'s public names (and its own modules, the standard library
  and third-party packages such as pyarrow), never `lakeconsole.core...`;
- cli imports tui only where cli/main.py opens the console;
- nothing imports core/sales, which core/blocks replaced.
"""

from __future__ import annotations

from pathlib import Path

import lakeconsole
from tests.conftest import REPO
from tests.test_import_hygiene import (
    CONSOLE_OPENER,
    imports,
    module_strings,
    modules,
    where,
    within,
)

# What core must not know: the console, the CLI and any pipeline (under each of its names).
NOT_IN_CORE = (
    "textual",
    "cli",
    "tui",
    "pipelines",
    "lakeconsole.cli",
    "lakeconsole.tui",
    "lakeconsole.pipelines",
)
# The loader is how core finds a pipeline: the entry-point group's name and the default
# setting are the two strings naming the pipelines package, and neither is imported as code.
NAMING_PIPELINES = {
    "core/pipeline.py": {"lakeconsole.pipelines"},
    "core/settings.py": {"lakeconsole.pipelines.sales:pipeline"},
}
PUBLIC = set(lakeconsole.__all__)
# The repository's top-level folders behind lakeconsole's links, and the console's toolkit.
ENGINE = ("core", "cli", "tui", "pipelines", "textual")


def own_package(path: Path) -> str:
    """lakeconsole.pipelines.sales for pipelines/sales/demo.py."""
    return "lakeconsole.pipelines." + path.relative_to(REPO / "pipelines").parts[0]


def is_public(module: str) -> bool:
    """`lakeconsole`, or one of its public names (`from lakeconsole import Pipeline`)."""
    return module == "lakeconsole" or (module.count(".") == 1 and module[12:] in PUBLIC)


def pipeline_breaks(path: Path, own: str) -> list[str]:
    """The imports and module strings of a pipeline module that are not the public API, its
    own package (`own`), the standard library or a third-party package."""
    out = []
    for name in sorted(imports(path) | module_strings(path, ("lakeconsole", *ENGINE))):
        module = name.split(":")[0]
        if within(module, own):
            continue
        engine = module.split(".")[0] in ENGINE
        if engine or (within(module, "lakeconsole") and not is_public(module)):
            out.append(name)
    return out


def test_core_imports_no_textual_cli_tui_or_pipeline() -> None:
    found = {}
    for path in modules("core"):
        name = where(path)
        code = sorted(n for n in imports(path) if any(within(n, x) for x in NOT_IN_CORE))
        strings = module_strings(path, NOT_IN_CORE) - NAMING_PIPELINES.get(name, set())
        if code or strings:
            found[name] = code + sorted(strings)
    assert found == {}


def test_pipelines_import_only_the_public_api() -> None:
    found = {where(p): pipeline_breaks(p, own_package(p)) for p in modules("pipelines")}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_rule_on_pipelines_catches_an_engine_import(tmp_path: Path) -> None:
    """The rule above can fail: a pipeline reaching into the engine is caught, by import or by
    a module string, while the public names and its own modules pass."""
    probe = tmp_path / "demo.py"
    probe.write_text(
        "from lakeconsole import Pipeline, col\n"
        "from lakeconsole.pipelines.sales import LANDING_COLUMNS\n"
        "import pyarrow\n"
        "from lakeconsole.core.tables import TableSpec\n"
        "from core.api import rule\n"
        "DEMO = 'lakeconsole.core.sales.gold:run'\n"
    )
    assert pipeline_breaks(probe, "lakeconsole.pipelines.sales") == [
        "core.api",
        "core.api.rule",
        "lakeconsole.core.sales.gold:run",
        "lakeconsole.core.tables",
        "lakeconsole.core.tables.TableSpec",
    ]


def test_cli_imports_tui_only_to_open_the_console() -> None:
    found = {}
    for path in modules("cli"):
        tui = {
            n
            for n in imports(path)
            if any(within(n, x) for x in ("tui", "lakeconsole.tui", "textual"))
        }
        if where(path) == CONSOLE_OPENER[0]:
            tui = {n for n in tui if not within(n, CONSOLE_OPENER[1])}
        if tui:
            found[where(path)] = sorted(tui)
    assert found == {}


def test_nothing_outside_the_loader_imports_a_pipeline() -> None:
    found = {}
    for path in [*modules("core"), *modules("cli"), *modules("tui")]:
        named = {n for n in imports(path) if within(n, "lakeconsole.pipelines")}
        if named:
            found[where(path)] = sorted(named)
    assert found == {}


def test_nothing_imports_the_sales_engine_that_core_blocks_replaced() -> None:
    found = set()
    for path in [*modules("core"), *modules("cli"), *modules("tui"), *modules("bench")]:
        sales = {n for n in imports(path) if within(n, "lakeconsole.core.sales")}
        if sales or module_strings(path, ("lakeconsole.core.sales",)):
            found.add(where(path))
    assert found == set()
