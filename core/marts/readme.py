"""A mart README's required sections (OPS-05), its state, and new marts from the template.

Where a README lives: in a local lake, in the mart's folder beside its tables
(`data/gold/sales/README.md`, the one file of the lake that git versions, OPS-07). In a lake in a
bucket, the tables are data and the README is documentation: it stays in the project folder at
the same path (`<project>/data/gold/sales/README.md`), versioned with the code by the same
.gitignore rule, edited with any editor and watched by the console, while the bucket holds the
tables only. `readme_folder(settings)` is the one answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, overload

from lakeconsole.core.lake import find_tables
from lakeconsole.core.storage import LakePath, Location, as_location, table_exists, write_whole

if TYPE_CHECKING:
    from lakeconsole.core.settings import Settings

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
    path: Path  # the folder of its README: the mart's folder in a local lake
    tables: tuple[LakePath, ...]
    # The mart's folder in the lake when that is not `path` (a lake in a bucket: its prefix).
    folder: Location | None = None

    @property
    def readme(self) -> Path:
        return self.path / README

    @property
    def lake_folder(self) -> LakePath:
        """The mart's folder in the lake, beside its tables."""
        return self.folder if self.folder is not None else self.path


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
    """complete | incomplete (which sections) | missing, for the mart folder's README.md
    (`Mart.path`: where its README is, in the project for a lake in a bucket)."""
    path = mart_dir / README
    if not path.is_file():
        return ReadmeState("missing", REQUIRED_SECTIONS)
    return text_state(path.read_text(encoding="utf-8", errors="replace"))


@overload
def gold_dir(data_dir: Path) -> Path: ...
@overload
def gold_dir(data_dir: Location) -> Location: ...
@overload
def gold_dir(data_dir: LakePath) -> LakePath: ...
def gold_dir(data_dir: LakePath) -> LakePath:
    return data_dir / "gold"


# The project folder that holds the mart READMEs of a lake in a bucket: the path a local lake
# has them at, which the project's .gitignore versions.
PROJECT_READMES = Path("data") / "gold"


def readme_folder(settings: Settings) -> Path | None:
    """Where the mart READMEs of this lake live when not beside its tables: the project's
    `data/gold/` for a lake in a bucket; None for a local lake (each in its mart folder)."""
    return settings.home / PROJECT_READMES if settings.on_object_storage else None


def _readmes_given(data_dir: LakePath, readmes: Path | None) -> None:
    if isinstance(data_dir, Location) and readmes is None:
        raise ValueError(
            f"the mart READMEs of {data_dir} are kept in the project: pass readme_folder(settings)"
        )


def lake_marts(settings: Settings) -> list[Mart]:
    """The lake's marts, with their READMEs where this lake keeps them (readme_folder)."""
    return find_marts(settings.lake_root, readme_folder(settings))


def find_marts(data_dir: LakePath, readmes: Path | None = None) -> list[Mart]:
    """Every mart: a folder under gold/ (not itself a table) with Delta tables or a README.
    `readmes`: the local folder holding `<mart>/README.md` for a lake in a bucket
    (readme_folder; required there); a README there names a mart that has no table yet too."""
    _readmes_given(data_dir, readmes)
    folders = {f.name: f for f in as_location(gold_dir(data_dir)).child_folders()}
    if readmes is not None and readmes.is_dir():
        for named in readmes.iterdir():
            if (named / README).is_file():
                folders.setdefault(named.name, as_location(gold_dir(data_dir)) / named.name)
    marts = []
    for name, folder in sorted(folders.items()):
        if name.startswith(("_", ".")) or table_exists(folder):
            continue
        if isinstance(data_dir, Path):
            local = Path(folder.uri)
            mart = Mart(name, local, tuple(find_tables(local)))
        else:
            assert readmes is not None  # _readmes_given
            mart = Mart(name, readmes / name, tuple(find_tables(folder)), folder)
        if mart.tables or mart.readme.is_file():
            marts.append(mart)
    return marts


def template(name: str) -> str:
    """The README a new mart starts from."""
    text = (
        resources.files("lakeconsole.core.marts")
        .joinpath("template.md")
        .read_text(encoding="utf-8")
    )
    return text.replace("{name}", name)


def new_mart(data_dir: LakePath, name: str, readmes: Path | None = None) -> Path:
    """Create gold/<name>/README.md from the template (under `readmes` when given:
    readme_folder); refuses to overwrite an existing README."""
    if not _MART_NAME.match(name):
        raise MartError(
            f"'{name}' is not a mart name: use lower-case letters, digits, '_' or '-', "
            "starting with a letter (e.g. sales)"
        )
    _readmes_given(data_dir, readmes)
    folder = gold_dir(data_dir) / name
    if table_exists(folder):
        raise MartError(f"{folder} is a table, not a mart folder: pick another name")
    readme = (readmes / name if readmes is not None else Path(str(folder))) / README
    if readme.exists():
        raise MartError(f"{readme} already exists: edit it (console key d) instead")
    write_whole(readme, template(name).encode("utf-8"))
    return readme


def lake_readme(settings: Settings, mart: str) -> Path:
    """The README of the mart `mart` of this lake, where readme_folder keeps it."""
    readmes = readme_folder(settings)
    if readmes is not None:
        return readmes / mart / README
    return settings.data_dir / "gold" / mart / README
