"""One home each for byte units and for what a small file is (issue 13, item 11)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO
from tests.maintenance_fixtures import make_table

Cli = Callable[..., subprocess.CompletedProcess[str]]

# A size printed with a unit: "1.5 KB", "3.0 MiB", "12 B".
SIZE = re.compile(r"\b\d+(?:\.\d+)? ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\b")


def test_tables_and_vacuum_print_one_tables_size_in_the_same_units(cli: Cli, home: Path) -> None:
    make_table(home / "data" / "silver" / "orders", overwrites=2, rows=5000)
    listed = cli(["tables"])
    planned = cli(["vacuum", "--dry-run", "--retention-hours", "0", "--force", "--reason", "look"])
    assert listed.returncode == 0 and planned.returncode == 0, listed.stderr + planned.stderr
    units = {m.group(1) for m in SIZE.finditer(listed.stdout + planned.stdout)}
    assert "KiB" in units and units <= {"B", "KiB", "MiB", "GiB", "TiB"}, units


def test_no_module_formats_bytes_but_core_units() -> None:
    """A second formatter is how "KB" and "KiB" came to name one size: guard the one home."""
    unit_words = re.compile(r"""["'](KB|MB|GB|TB|KiB|MiB|GiB|TiB)["']""")
    offenders = []
    for folder in ("core", "cli", "tui"):
        for path in sorted((REPO / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if path == REPO / "core" / "units.py":
                continue
            if re.search(r"def \w*bytes\w*\(.*\) -> str", text) or unit_words.search(text):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], f"print sizes with core.units.human_bytes instead: {offenders}"


def test_the_small_file_size_is_the_same_for_the_tables_flag_and_maintenance(cli: Cli) -> None:
    from lakeconsole.core.explorer import catalog
    from lakeconsole.core.maintenance import tables
    from lakeconsole.core.units import human_bytes

    assert catalog.SMALL_FILE_BYTES == tables.SMALL_FILE_BYTES
    shown = cli(["tables", "--help"])
    # What `tables --help` promises is what the flag and the maintenance view count.
    assert f"averaging under {human_bytes(tables.SMALL_FILE_BYTES)}" in " ".join(
        shown.stdout.split()
    )


def test_the_landing_panel_prints_file_sizes_in_the_same_units() -> None:
    from pathlib import Path

    from lakeconsole.core.units import human_bytes
    from lakeconsole.tui.landing import describe
    from lakeconsole.tui.messages import LandingFiles

    _, text = describe(
        LandingFiles([(Path("orders_0001.csv"), 465_203)], waiting={"orders_0001.csv"})
    )

    assert f"orders_0001.csv  {human_bytes(465_203)}" in text  # 454.3 KiB, not "465.2kB"
