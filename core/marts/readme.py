"""A mart README's required sections (OPS-05), its state, and new marts from the template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lakeconsole.core.lake import find_tables

README = "README.md"
REQUIRED_SECTIONS: tuple[str, ...] = ("Business Definition", "Owner", "Refresh Rate")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_MART_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class MartError(Exception):
    """A mart operation cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class ReadmeState:
    """`complete`, `incomplete` (sections missing or empty) or `missing` (no README.md)."""

    status: str
    missing: tuple[str, ...] = ()  # required headings not there
    empty: tuple[str, ...] = ()  # required headings with no text under them

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def problems(self) -> tuple[str, ...]:
        """Every required section that needs writing, e.g. ('Owner', 'Refresh Rate (empty)')."""
        return self.missing + tuple(f"{name} (empty)" for name in self.empty)

    def label(self) -> str:
        """'complete', 'missing README.md' or 'missing sections: Owner, Refresh Rate (empty)'."""
        if self.status == "missing":
            return "missing README.md"
        if self.status == "incomplete":
            return "missing sections: " + ", ".join(self.problems)
        return "complete"


@dataclass(frozen=True)
class Mart:
    """A folder under gold/ with its tables and README."""

    name: str
    path: Path
    tables: tuple[Path, ...]

    @property
    def readme(self) -> Path:
        return self.path / README


def _sections(text: str) -> dict[str, str]:
    """Heading title (lower case) → the text under it, up to the next heading of the same level
    or above. Headings inside fenced code blocks do not count."""
    found: dict[str, list[str]] = {}
    # Open sections as (level, key); a new heading closes those at its level or deeper.
    open_sections: list[tuple[int, str]] = []
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        match = None if fence else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            open_sections = [(lv, key) for lv, key in open_sections if lv < level]
            key = match.group(2).rstrip(":").strip().lower()
            found.setdefault(key, [])
            open_sections.append((level, key))
            continue
        for _, key in open_sections:
            found[key].append(line)
    return {key: "\n".join(lines) for key, lines in found.items()}


def section_text(text: str, name: str) -> str | None:
    """The text under heading `name` (any level, case-insensitive); None when there is none."""
    return _sections(text).get(name.lower())


def section_problems(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(missing, empty) required sections of a README's text."""
    sections = _sections(text)
    missing, empty = [], []
    for name in REQUIRED_SECTIONS:
        body = sections.get(name.lower())
        if body is None:
            missing.append(name)
        elif not _COMMENT.sub("", body).strip():
            empty.append(name)
    return tuple(missing), tuple(empty)


def text_state(text: str) -> ReadmeState:
    """The state of a README given its text."""
    missing, empty = section_problems(text)
    return ReadmeState("incomplete" if missing or empty else "complete", missing, empty)


def readme_state(mart_dir: Path) -> ReadmeState:
    """complete | incomplete (which sections) | missing, for the mart folder's README.md."""
    path = mart_dir / README
    if not path.is_file():
        return ReadmeState("missing", REQUIRED_SECTIONS)
    return text_state(path.read_text(encoding="utf-8", errors="replace"))


def gold_dir(data_dir: Path) -> Path:
    return data_dir / "gold"


def find_marts(data_dir: Path) -> list[Mart]:
    """Every mart: a folder under gold/ (not itself a table) with Delta tables or a README."""
    gold = gold_dir(data_dir)
    if not gold.is_dir():
        return []
    marts = []
    for folder in sorted(p for p in gold.iterdir() if p.is_dir()):
        if folder.name.startswith(("_", ".")) or (folder / "_delta_log").is_dir():
            continue
        tables = tuple(find_tables(folder))
        if tables or (folder / README).is_file():
            marts.append(Mart(folder.name, folder, tables))
    return marts


def template(name: str) -> str:
    """The README a new mart starts from."""
    text = (
        resources.files("lakeconsole.core.marts")
        .joinpath("template.md")
        .read_text(encoding="utf-8")
    )
    return text.replace("{name}", name)


def new_mart(data_dir: Path, name: str) -> Path:
    """Create gold/<name>/README.md from the template; refuses to overwrite an existing README."""
    if not _MART_NAME.match(name):
        raise MartError(
            f"'{name}' is not a mart name: use lower-case letters, digits, '_' or '-', "
            "starting with a letter (e.g. sales)"
        )
    folder = gold_dir(data_dir) / name
    if (folder / "_delta_log").is_dir():
        raise MartError(f"{folder} is a table, not a mart folder: pick another name")
    readme = folder / README
    if readme.exists():
        raise MartError(f"{readme} already exists: edit it (console key d) instead")
    folder.mkdir(parents=True, exist_ok=True)
    readme.write_text(template(name), encoding="utf-8")
    return readme
