"""Import hygiene of the explorer: the engine has no Textual, the CLI commands start light."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def imported_after(statement: str) -> set[str]:
    """Top-level modules loaded by `statement` in a fresh interpreter."""
    listing = "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    code = f"{statement}\nimport sys\n{listing}"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=str(REPO), capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_the_explorer_engine_never_imports_textual() -> None:
    loaded = imported_after(
        "import lakeconsole.core.explorer.catalog, lakeconsole.core.explorer.compare, "
        "lakeconsole.core.explorer.history, lakeconsole.core.explorer.restore, "
        "lakeconsole.core.explorer.version"
    )
    assert "textual" not in loaded


def test_explorer_commands_import_no_heavy_module_until_they_run() -> None:
    loaded = imported_after(
        "import lakeconsole.cli.tables, lakeconsole.cli.history, lakeconsole.cli.show, "
        "lakeconsole.cli.restore_version"
    )
    assert not loaded & {"deltalake", "pyarrow", "textual", "pandas"}
