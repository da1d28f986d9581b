"""The import rules of the layout (as harlequin's test_import_hygiene does), read from the code:
core imports no cli, tui or textual.
The rules of the pipeline API's layout (issue 14) are in test_import_rules.py, which shares the
helpers here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

CONSOLE_OPENER = ("cli/main.py", "lakeconsole.tui.app")
# A string that is a module name, or "module:attr": not prose that mentions one.
MODULE_STRING = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


def modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names, at any depth."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{alias.name}" for alias in node.names}
    return out


def module_strings(path: Path, packages: tuple[str, ...]) -> set[str]:
    """Module names under `packages` written as strings: importlib.import_module("x.y") or a
    "module:attr" to import later (the part before ':' is the module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not MODULE_STRING.match(node.value):
            continue
        module = node.value.split(":")[0]
        if any(within(module, p) for p in packages):
            out.add(node.value)
    return out


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def where(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_core_imports_no_cli_tui_or_textual() -> None:
    found = {
        where(p): sorted(
            n for n in imports(p) if any(within(n, x) for x in ("cli", "tui", "textual"))
        )
        for p in modules("core")
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_building_the_cli_and_the_runner_imports_no_backup_explorer_or_pandas() -> None:
    """Every command module is imported to build `--help`, and every run imports the runner and
    the table-health gate: none of them may drag in backup, the explorer or pandas (a no-op run
    paid 0.16 s CPU for them)."""
    import subprocess
    import sys

    probe = (
        "import sys; from lakeconsole.cli.main import build_parser; import lakeconsole.core.runner; "
        "build_parser(); "
        "heavy = [m for m in sys.modules if m == 'pandas' or m.startswith(('lakeconsole.core.backup.', "
        "'lakeconsole.core.explorer.', 'lakeconsole.core.upkeep'))]; print(' '.join(sorted(heavy)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["lakeconsole.core.backup.lake_files"]
